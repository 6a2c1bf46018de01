// Credentials stay with the registry: an upload Location or redirect on another origin never receives the
// Authorization header (basic or bearer), and a plain-HTTP token realm elsewhere never receives the password.
import Foundation
import OCI
import Registry
import Testing
import TestSupport

@Suite("credentials stay with the registry's origin")
struct CredentialOriginTests {
    /// Pushes through `origin_split.py` (uploads and blob HEADs moved to another port) and returns what that port saw.
    static func pushThroughSplit(registry: LocalRegistry, credential: ResolvedCredential, inject: String?, work: TemporaryDirectory) async throws
        -> (digest: Digest, expected: Digest, other: [[String: Any]], frontAuthorized: Int)
    {
        var arguments = ["--upstream", registry.address, "--redirect-heads"]
        if let inject {
            let file = work.appending("inject")
            try inject.write(toFile: file, atomically: true, encoding: .utf8)
            arguments += ["--inject-authorization-file", file]
        }
        let front = try ScriptServer(script: "origin_split.py", arguments: arguments)
        defer { front.stop() }
        let layout = try await SyntheticLayout.write(at: work.appending("layout"), layerSizes: [3 << 20, 1000], tag: "v1")
        let image = try ImageLayout(path: layout.path)
        // 1 MiB chunks: the 3 MiB layer goes up in PATCHes to the upload Location, then a PUT.
        let result = try await RegistryClient.withConnection(
            to: front.address, credential: credential, options: RegistryClient.Options(chunkSize: 1 << 20)
        ) { client in
            try await LayoutPusher(destination: client).push(layout: image, sourceTag: nil, to: RepositoryName("labs/split"), tags: [Tag("1")])
        }
        let stats = try await front.json("/__proxy/stats")
        return (result.digest, layout.manifest.digest, stats["other"] as? [[String: Any]] ?? [], stats["front_authorized"] as? Int ?? 0)
    }

    static func check(_ outcome: (digest: Digest, expected: Digest, other: [[String: Any]], frontAuthorized: Int)) {
        #expect(outcome.digest == outcome.expected)
        let methods = Set(outcome.other.compactMap { $0["method"] as? String })
        #expect(methods.isSuperset(of: ["HEAD", "PATCH", "PUT"]), "uploads and blob HEADs went to the other origin: \(outcome.other)")
        let leaked = outcome.other.filter { $0["authorization"] as? Bool != false }
        #expect(leaked.isEmpty, "the other origin received Authorization on \(leaked)")
        #expect(outcome.frontAuthorized > 0, "the registry's own origin did get the credentials")
    }

    @Test("basic credentials: uploads on another port and a redirected HEAD get no Authorization; the push succeeds")
    func basic() async throws {
        let work = try TemporaryDirectory()
        let registry = try await AuthTests.basicRegistry(in: work)
        let credential = ResolvedCredential(credential: .basic(username: AuthTests.user, password: AuthTests.secret), source: "test")
        let storageAccess = "Basic " + AuthTests.base64(AuthTests.user, AuthTests.secret)
        Self.check(try await Self.pushThroughSplit(registry: registry, credential: credential, inject: storageAccess, work: work))
    }

    @Test("a bearer registry token: the same, it never leaves the registry's origin")
    func bearer() async throws {
        let work = try TemporaryDirectory()
        let registry = try LocalRegistry()
        let credential = ResolvedCredential(credential: .registryToken("registry-token-\(UUID().uuidString)"), source: "test")
        Self.check(try await Self.pushThroughSplit(registry: registry, credential: credential, inject: nil, work: work))
    }

    @Test("a token realm on plain HTTP on another machine never receives the password")
    func plainHTTPRealm() async throws {
        let work = try TemporaryDirectory()
        let key = work.appending("token.key")
        let cert = work.appending("token.crt")
        try await Command.check([
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1",
            "-subj", "/CN=labforge-test-token-issuer",
        ])
        // `.invalid` never resolves: the refusal must come before any connection.
        let realm = "http://labforge-realm.invalid/token"
        let registry = try LocalRegistry(authentication: .token(
            realm: realm, service: "labforge-test-registry", issuer: "labforge-test-issuer", rootCertBundle: cert))
        let layout = try await SyntheticLayout.write(at: work.appending("layout"), layerSizes: [1000], tag: "v1")
        let image = try ImageLayout(path: layout.path)
        let credential = ResolvedCredential(credential: .basic(username: AuthTests.user, password: AuthTests.secret), source: "test")
        let error = try await #require(throws: RegistryError.self) {
            try await RegistryClient.withConnection(to: registry.address, credential: credential) { client in
                try await LayoutPusher(destination: client).push(layout: image, sourceTag: nil, to: RepositoryName("labs/realm"), tags: [Tag("1")])
            }
        }
        guard case .credentialsWithheld(_, let destination, let reason) = error else {
            Issue.record("expected credentialsWithheld, got \(error)")
            return
        }
        #expect(destination.contains(realm))
        #expect(reason.contains("plain HTTP"), "\(reason)")
        #expect(!error.description.contains(AuthTests.secret))
    }
}
