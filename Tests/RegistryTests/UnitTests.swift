// Pure logic of the registry client: challenges, credential files, retry delays, upload ranges, secret hygiene.
import Foundation
import OCI
@testable import Registry
import Testing
import TestSupport

@Suite("registry client logic")
struct UnitTests {
    @Test("WWW-Authenticate challenges parse with quoted commas and escapes")
    func challenges() throws {
        let bearer = try #require(AuthChallenge(header:
            #"Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push",error="insufficient_scope""#))
        #expect(bearer.scheme == .bearer)
        #expect(bearer.realm == "https://auth.example/token")
        #expect(bearer.service == "registry.example")
        #expect(bearer.scope == "repository:a/b:pull,push")
        #expect(bearer.parameters["error"] == "insufficient_scope")
        let basic = try #require(AuthChallenge(header: #"Basic realm="my \"lab\" registry""#))
        #expect(basic.scheme == .basic)
        #expect(basic.realm == #"my "lab" registry"#)
        #expect(AuthChallenge(header: "") == nil)
    }

    @Test("credentials: docker.io's v1 URL key, repository-scoped auth.json keys, identity tokens, file order")
    func credentialFiles() throws {
        let home = try TemporaryDirectory()
        let docker = home.appending(".docker")
        try FileManager.default.createDirectory(atPath: docker, withIntermediateDirectories: true)
        let basic = Data("hubuser:hubpass".utf8).base64EncodedString()
        try Data("""
            {"auths":{"https://index.docker.io/v1/":{"auth":"\(basic)"},
                      "quay.io":{"auth":"\(Data("q:x".utf8).base64EncodedString())","identitytoken":"refresh-me"}}}
            """.utf8).write(to: URL(fileURLWithPath: docker + "/config.json"))
        let store = CredentialStore(environment: [:], homeDirectory: home.path)
        let hub = try #require(try store.credential(registry: "docker.io", repository: "library/debian"))
        #expect(hub.credential == .basic(username: "hubuser", password: "hubpass"))
        #expect(hub.source == docker + "/config.json")
        #expect(try store.credential(registry: "quay.io")?.credential == .identityToken(username: "q", token: "refresh-me"))
        #expect(try store.credential(registry: "ghcr.io") == nil)

        let authFile = home.appending("auth.json")
        try Data("""
            {"auths":{"registry.lab:5000/team/a":{"auth":"\(Data("team:a".utf8).base64EncodedString())"},
                      "registry.lab:5000":{"auth":"\(Data("any:b".utf8).base64EncodedString())"}}}
            """.utf8).write(to: URL(fileURLWithPath: authFile))
        let scoped = CredentialStore(environment: ["REGISTRY_AUTH_FILE": authFile], homeDirectory: home.path)
        #expect(try scoped.credential(registry: "registry.lab:5000", repository: "team/a/disk")?.credential == .basic(username: "team", password: "a"))
        #expect(try scoped.credential(registry: "registry.lab:5000", repository: "other")?.credential == .basic(username: "any", password: "b"))
        // The first file holding an answer wins; the docker file still serves docker.io.
        #expect(try scoped.credential(registry: "docker.io")?.credential == .basic(username: "hubuser", password: "hubpass"))
        #expect(CredentialStore(authFile: authFile, environment: [:], homeDirectory: home.path).files == [authFile])
    }

    @Test("a broken credentials file is named without echoing its contents")
    func brokenCredentialFile() throws {
        let home = try TemporaryDirectory()
        let file = home.appending("auth.json")
        try Data(#"{"auths": {"x": {"auth": "c2VjcmV0LXZhbHVl"}"#.utf8).write(to: URL(fileURLWithPath: file))
        #expect {
            try CredentialStore(authFile: file, environment: [:], homeDirectory: home.path).credential(registry: "x")
        } throws: { error in
            "\(error)".contains(file) && !"\(error)".contains("c2VjcmV0")
        }
    }

    @Test("credentials never show their secret in descriptions, debug output or reflection")
    func secretsStayHidden() {
        let credential = ResolvedCredential(credential: .basic(username: "u", password: "hunter2"), source: "test")
        var dumped = ""
        dump(credential, to: &dumped)
        for text in ["\(credential)", String(reflecting: credential), "\(credential.credential)", dumped] {
            #expect(!text.contains("hunter2"), "\(text)")
        }
        #expect(!"\(Credential.identityToken(username: nil, token: "tok-123"))".contains("tok-123"))
    }

    @Test("retry delays grow with jitter, honour Retry-After, and parse HTTP dates")
    func retryPolicy() {
        let policy = RetryPolicy(maxAttempts: 6, initialDelay: 1, maxDelay: 8)
        for attempt in 1...6 {
            let base = min(8, pow(2, Double(attempt - 1)))
            let delay = policy.delay(afterAttempt: attempt)
            #expect(delay >= base / 2 && delay <= base)
        }
        #expect(policy.delay(afterAttempt: 3, retryAfter: 7) == 7)
        #expect(policy.delay(afterAttempt: 3, retryAfter: 1000) == policy.maxRetryAfter)
        #expect(RetryPolicy.parseRetryAfter("2") == 2)
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        #expect(RetryPolicy.parseRetryAfter("Tue, 14 Nov 2023 22:13:30 GMT", now: now) == 10)
        #expect(RetryPolicy.parseRetryAfter("soon") == nil)
        #expect(RetryPolicy.isRetryable(status: 503) && RetryPolicy.isRetryable(status: 429))
        #expect(!RetryPolicy.isRetryable(status: 400) && !RetryPolicy.isRetryable(status: 501))
    }

    @Test("upload Range headers give the next offset")
    func ranges() {
        #expect(BlobUpload.offset(fromRange: "0-1048575") == 1_048_576)
        #expect(BlobUpload.offset(fromRange: "bytes=0-99") == 100)
        #expect(BlobUpload.offset(fromRange: "0-0") == 0)
        #expect(BlobUpload.offset(fromRange: nil) == nil)
        #expect(RegistryClient.isLoopback("127.0.0.1:5000") && RegistryClient.isLoopback("localhost") && RegistryClient.isLoopback("[::1]:80"))
        #expect(!RegistryClient.isLoopback("quay.io"))
    }
}
