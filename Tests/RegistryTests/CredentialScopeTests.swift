// Where credentials may go, as pure rules: the registry's origin, token realms over HTTPS or loopback, no downgrade.
@testable import Registry
import Testing

@Suite("credential scope")
struct CredentialScopeTests {
    @Test("the registry's Authorization goes to its own scheme, host and port only")
    func registryOrigin() {
        let base = "https://registry.example:5000"
        #expect(CredentialScope.isRegistryOrigin("https://registry.example:5000/v2/labs/x/blobs/uploads/abc?_state=s", registryBaseURL: base))
        #expect(CredentialScope.isRegistryOrigin("https://REGISTRY.example:5000/v2/", registryBaseURL: base))
        #expect(!CredentialScope.isRegistryOrigin("https://storage.example/upload/abc", registryBaseURL: base), "another host")
        #expect(!CredentialScope.isRegistryOrigin("https://registry.example:5001/v2/", registryBaseURL: base), "another port")
        #expect(!CredentialScope.isRegistryOrigin("http://registry.example:5000/v2/", registryBaseURL: base), "another scheme")
        #expect(CredentialScope.isRegistryOrigin("https://quay.io:443/v2/", registryBaseURL: "https://quay.io"), "default port")
        #expect(!CredentialScope.isRegistryOrigin("not a url", registryBaseURL: base))
    }

    @Test("basic credentials go to a token realm over https or on loopback, never on an https→http downgrade")
    func realms() {
        let https = "https://registry.example"
        let http = "http://127.0.0.1:5000"
        #expect(CredentialScope.realmProblem("https://auth.docker.io/token", registryBaseURL: "https://registry-1.docker.io", insecure: false) == nil)
        #expect(CredentialScope.realmProblem("http://127.0.0.1:9000/token", registryBaseURL: http, insecure: false) == nil)
        #expect(CredentialScope.realmProblem("http://localhost:9000/token", registryBaseURL: http, insecure: false) == nil)
        #expect(CredentialScope.realmProblem("http://auth.example/token", registryBaseURL: http, insecure: false) != nil, "plain HTTP elsewhere")
        #expect(CredentialScope.realmProblem("http://auth.example/token", registryBaseURL: "http://lab-registry:5000", insecure: true) == nil)
        #expect(CredentialScope.realmProblem("http://127.0.0.1:9000/token", registryBaseURL: https, insecure: false)?.contains("downgrade") == true)
        #expect(CredentialScope.realmProblem("http://auth.example/token", registryBaseURL: https, insecure: true)?.contains("downgrade") == true)
        #expect(CredentialScope.realmProblem("http://127.evil.example/token", registryBaseURL: http, insecure: false) != nil)
        #expect(CredentialScope.realmProblem("ftp://auth.example/token", registryBaseURL: https, insecure: false) != nil)
    }

    @Test("downgrades are https → http only")
    func downgrades() {
        #expect(CredentialScope.isDowngrade(from: "https://r.example", to: "http://r.example/x"))
        #expect(!CredentialScope.isDowngrade(from: "http://r.example", to: "https://r.example/x"))
        #expect(!CredentialScope.isDowngrade(from: "https://r.example", to: "https://s.example/x"))
    }

    @Test("plain HTTP without --insecure only for loopback registries, decided by parsing the address")
    func loopback() {
        #expect(RegistryClient.isLoopback("127.0.0.1:5000"))
        #expect(RegistryClient.isLoopback("localhost:5000"))
        #expect(RegistryClient.isLoopback("[::1]:5000"))
        #expect(!RegistryClient.isLoopback("127.evil.example:5000"))
        #expect(!RegistryClient.isLoopback("127.0.0.1.nip.example"))
        #expect(!RegistryClient.isLoopback("localhost.example"))
    }
}
