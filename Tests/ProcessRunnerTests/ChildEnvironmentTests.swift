// The allow-list: a child gets named variables of labforge's environment and what its caller adds, never a secret.
import Foundation
import ProcessRunner
import Testing

@Suite("ChildEnvironment")
struct ChildEnvironmentTests {
    /// An environment as a CI job's shell hands labforge one: a token, a cloud key, the signing key, and what children need.
    static let hostile: [String: String] = [
        "SECRET_TOKEN": "x", "AWS_SECRET_ACCESS_KEY": "y", "GITHUB_TOKEN": "z", "LD_PRELOAD": "/tmp/evil.so",
        "LABFORGE_SIGN_KEY": "-----BEGIN PRIVATE KEY-----", "PATH": "/usr/bin:/bin", "HOME": "/root", "LC_ALL": "C.UTF-8",
        "https_proxy": "http://proxy:3128", "NO_PROXY": "localhost", "SOURCE_DATE_EPOCH": "1700000000",
        "LIBGUESTFS_BACKEND": "direct", "LABFORGE_ACCEL": "tcg", "TMPDIR": "/scratch",
    ]

    @Test("SECRET_TOKEN, cloud keys, LD_PRELOAD and LABFORGE_SIGN_KEY are dropped; PATH, locale, proxies, LABFORGE_ACCEL kept")
    func allowList() {
        let child = ChildEnvironment.child(parent: Self.hostile)
        #expect(child == [
            "PATH": "/usr/bin:/bin", "HOME": "/root", "LC_ALL": "C.UTF-8", "https_proxy": "http://proxy:3128", "NO_PROXY": "localhost",
            "SOURCE_DATE_EPOCH": "1700000000", "LIBGUESTFS_BACKEND": "direct", "LABFORGE_ACCEL": "tcg", "TMPDIR": "/scratch",
        ])
    }

    @Test("what the caller adds is kept as given and wins over the inherited value")
    func addedVariables() {
        let child = ChildEnvironment.child(adding: ["MTOOLS_SKIP_CHECK": "1", "PATH": "/opt/bin", "LABFORGE_SIGN_KEY": "given"], parent: Self.hostile)
        #expect(child["MTOOLS_SKIP_CHECK"] == "1")
        #expect(child["PATH"] == "/opt/bin")
        // A caller that hands a labforge it starts a key on purpose (a test) says so explicitly.
        #expect(child["LABFORGE_SIGN_KEY"] == "given")
        #expect(child["SECRET_TOKEN"] == nil)
    }

    @Test("a credential helper gets everything but the signing key")
    func everythingButSecrets() {
        let child = ChildEnvironment.child(inheritance: .everythingButSecrets, parent: Self.hostile)
        #expect(child["SECRET_TOKEN"] == "x")
        #expect(child["AWS_SECRET_ACCESS_KEY"] == "y")
        #expect(child["LABFORGE_SIGN_KEY"] == nil)
    }

    /// The variables a real child printed with `env` (one per line; none of ours spans lines).
    static func listed(_ output: String) -> [String: String] {
        var variables: [String: String] = [:]
        for line in output.split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            variables[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        return variables
    }

    @Test("a real child (async and blocking runner) sees exactly the allow-listed part of this process's environment plus what was added")
    func realChild() async throws {
        let ours = ProcessInfo.processInfo.environment
        // The test runner's own environment always holds something outside the list (PWD, SHLVL, `_` from the shell).
        let outside = ours.keys.filter { !ChildEnvironment.allows($0) }.sorted()
        try #require(!outside.isEmpty, "this process's environment holds only allow-listed variables: nothing to drop")
        let expected = ours.filter { ChildEnvironment.allows($0.key) }.merging(["ADDED_BY_CALLER": "1"]) { $1 }
        let asynchronous = try await ChildProcess(["env"], environment: ["ADDED_BY_CALLER": "1"]).run()
        let blocking = try ChildProcess(["env"], environment: ["ADDED_BY_CALLER": "1"]).runBlocking()
        for result in [asynchronous, blocking] {
            #expect(result.status == 0)
            let seen = Self.listed(result.stdoutText)
            #expect(seen == expected, "dropped: \(outside)")
            #expect(outside.allSatisfy { seen[$0] == nil })
        }
    }
}
