// Authentication against a real registry: htpasswd basic auth and the bearer-token flow, right and wrong credentials.
import Foundation
import OCI
import Registry
import Testing
import TestSupport

@Suite("registry authentication")
struct AuthTests {
    static let user = "labuser"
    static let secret = "s3cret-Pa55-\(UUID().uuidString.prefix(6))"

    /// A registry behind `htpasswd -B` (bcrypt) credentials.
    static func basicRegistry(in work: TemporaryDirectory) async throws -> LocalRegistry {
        let entry = try await Command.check(["htpasswd", "-B", "-i", "-n", user], input: Data(secret.utf8))
        let file = work.appending("htpasswd")
        try entry.stdout.write(toFile: file, atomically: true, encoding: .utf8)
        return try LocalRegistry(authentication: .htpasswd(path: file))
    }

    static func authJSON(_ entries: [String: Any]) throws -> Data {
        try JSONSerialization.data(withJSONObject: entries)
    }

    static func base64(_ user: String, _ password: String) -> String {
        Data("\(user):\(password)".utf8).base64EncodedString()
    }

    @Test("basic auth: --password-stdin, --authfile and a docker credential helper work; a wrong password fails clearly")
    func basic() async throws {
        let work = try TemporaryDirectory()
        let registry = try await Self.basicRegistry(in: work)
        let layout = try await SyntheticLayout.write(at: work.appending("layout"), layerSizes: [200_000], tag: "v1")
        let target = "\(registry.address)/labs/private"

        let (stdinRun, stdinResult) = try await Push.run(
            [layout.path, "\(target):1", "--username", Self.user, "--password-stdin"], home: work.path, input: Data("\(Self.secret)\n".utf8))
        #expect(stdinResult?.digest == layout.manifest.digest, "\(stdinRun.stderr)")

        let authFile = work.appending("auth.json")
        try Self.authJSON(["auths": [registry.address: ["auth": Self.base64(Self.user, Self.secret)]]]).write(to: URL(fileURLWithPath: authFile))
        let (fileRun, fileResult) = try await Push.run([layout.path, "\(target):2", "--authfile", authFile], home: work.path)
        #expect(fileResult?.digest == layout.manifest.digest, "\(fileRun.stderr)")

        // docker's credential-helper protocol: server URL on stdin, {"Username","Secret"} on stdout.
        let bin = work.appending("bin")
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        let helper = bin + "/docker-credential-labtest"
        try """
            #!/bin/sh
            read server
            [ "$1" = get ] && [ "$server" = "\(registry.address)" ] || { echo "credentials not found in native keychain"; exit 1; }
            printf '{"ServerURL":"%s","Username":"\(Self.user)","Secret":"\(Self.secret)"}' "$server"
            """.write(toFile: helper, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: helper)
        let dockerConfig = work.appending("docker")
        try FileManager.default.createDirectory(atPath: dockerConfig, withIntermediateDirectories: true)
        try Self.authJSON(["auths": [:] as [String: Any], "credHelpers": [registry.address: "labtest"]])
            .write(to: URL(fileURLWithPath: dockerConfig + "/config.json"))
        let path = bin + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        let (helperRun, helperResult) = try await Push.run(
            [layout.path, "\(target):3"], home: work.path, environment: ["DOCKER_CONFIG": dockerConfig, "PATH": path])
        #expect(helperResult?.digest == layout.manifest.digest, "\(helperRun.stderr)")

        let wrong = "wrong-\(UUID().uuidString.prefix(8))"
        let (wrongRun, wrongResult) = try await Push.run(
            [layout.path, "\(target):4", "--username", Self.user, "--password-stdin"], home: work.path, input: Data(wrong.utf8))
        #expect(wrongResult == nil)
        #expect(wrongRun.status != 0)
        #expect(wrongRun.stderr.contains("UNAUTHORIZED"), "\(wrongRun.stderr)")
        #expect(wrongRun.stderr.contains(registry.address))
        #expect(!wrongRun.stderr.contains(wrong) && !wrongRun.stdout.contains(wrong))

        let (anonymousRun, _) = try await Push.run([layout.path, "\(target):5"], home: work.path)
        #expect(anonymousRun.status != 0)
        #expect(anonymousRun.stderr.contains("no credentials found"), "\(anonymousRun.stderr)")
        for run in [stdinRun, fileRun, helperRun, anonymousRun] {
            #expect(!run.stderr.contains(Self.secret) && !run.stdout.contains(Self.secret))
        }
    }

    /// A token endpoint and a registry trusting it.
    struct TokenSetup {
        let work: TemporaryDirectory
        let tokens: ScriptServer
        let registry: LocalRegistry
    }

    static func tokenSetup(staleFirst: Bool = false, refreshToken: String? = nil) async throws -> TokenSetup {
        let work = try TemporaryDirectory()
        let key = work.appending("token.key")
        let cert = work.appending("token.crt")
        try await Command.check([
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1",
            "-subj", "/CN=labforge-test-token-issuer",
        ])
        let passwordFile = work.appending("password")
        try secret.write(toFile: passwordFile, atomically: true, encoding: .utf8)
        var arguments = [
            "--key", key, "--cert", cert, "--issuer", "labforge-test-issuer", "--service", "labforge-test-registry",
            "--user", user, "--password-file", passwordFile,
        ]
        if staleFirst { arguments.append("--stale-first") }
        if let refreshToken {
            let file = work.appending("refresh")
            try refreshToken.write(toFile: file, atomically: true, encoding: .utf8)
            arguments += ["--refresh-token-file", file]
        }
        let tokens = try ScriptServer(script: "token_server.py", arguments: arguments)
        let registry = try LocalRegistry(authentication: .token(
            realm: "http://\(tokens.address)/token", service: "labforge-test-registry", issuer: "labforge-test-issuer",
            rootCertBundle: cert))
        return TokenSetup(work: work, tokens: tokens, registry: registry)
    }

    @Test("bearer flow: docker config.json credentials get a token that is reused; a wrong password is refused clearly")
    func bearer() async throws {
        let setup = try await Self.tokenSetup()
        let work = setup.work
        let layout = try await SyntheticLayout.write(at: work.appending("layout"), layerSizes: [3 << 20, 1000], tag: "v1")
        let dockerConfig = work.appending("docker")
        try FileManager.default.createDirectory(atPath: dockerConfig, withIntermediateDirectories: true)
        try Self.authJSON(["auths": ["http://\(setup.registry.address)": ["auth": Self.base64(Self.user, Self.secret)]]])
            .write(to: URL(fileURLWithPath: dockerConfig + "/config.json"))
        let target = "\(setup.registry.address)/labs/tokened"
        let (run, result) = try await Push.run(
            [layout.path, "\(target):1", "--chunk-size", "1"], home: work.path, environment: ["DOCKER_CONFIG": dockerConfig])
        #expect(result?.digest == layout.manifest.digest, "\(run.stderr)")
        // One token for repository:labs/tokened:pull,push serves every request of the push.
        let stats = try await setup.tokens.json("/stats")
        #expect(stats["granted"] as? Int == 1, "\(stats)")
        #expect(!run.stderr.contains(Self.secret))

        let wrongFile = work.appending("wrong.json")
        try Self.authJSON(["auths": [setup.registry.address: ["auth": Self.base64(Self.user, "not-the-password")]]])
            .write(to: URL(fileURLWithPath: wrongFile))
        let (wrongRun, wrongResult) = try await Push.run([layout.path, "\(target):2", "--authfile", wrongFile], home: work.path)
        #expect(wrongResult == nil)
        #expect(wrongRun.stderr.contains("UNAUTHORIZED"), "\(wrongRun.stderr)")
        #expect(wrongRun.stderr.contains(wrongFile))
        #expect(!wrongRun.stderr.contains("not-the-password"))
    }

    @Test("bearer flow: an expired token is refreshed on the registry's 401; identity tokens use the refresh grant")
    func bearerRefreshAndIdentityToken() async throws {
        let refresh = "refresh-\(UUID().uuidString)"
        let setup = try await Self.tokenSetup(staleFirst: true, refreshToken: refresh)
        let layout = try await SyntheticLayout.write(at: setup.work.appending("layout"), layerSizes: [100_000], tag: "v1")
        let image = try ImageLayout(path: layout.path)
        let credential = ResolvedCredential(credential: .basic(username: Self.user, password: Self.secret), source: "test")
        let (result, tokenRequests) = try await RegistryClient.withConnection(to: setup.registry.address, credential: credential) { client in
            let result = try await LayoutPusher(destination: client)
                .push(layout: image, sourceTag: nil, to: RepositoryName("labs/refresh"), tags: [Tag("1")])
            return (result, await client.tokenRequestCount)
        }
        #expect(result.digest == layout.manifest.digest)
        #expect(tokenRequests == 2, "the stale token is replaced exactly once")

        let authFile = setup.work.appending("identity.json")
        try Self.authJSON(["auths": [setup.registry.address: ["auth": Self.base64(Self.user, ""), "identitytoken": refresh]]])
            .write(to: URL(fileURLWithPath: authFile))
        let (run, pushed) = try await Push.run([layout.path, "\(setup.registry.address)/labs/identity:1", "--authfile", authFile], home: setup.work.path)
        #expect(pushed?.digest == layout.manifest.digest, "\(run.stderr)")
        #expect(!run.stderr.contains(refresh))
    }
}
