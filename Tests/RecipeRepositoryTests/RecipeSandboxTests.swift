// The compiled recipe program runs confined: it cannot read the user's secrets, reach the network, write the host
// or see labforge's environment; without bubblewrap labforge says how to install it.
import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// A TCP listener on 127.0.0.1 that a recipe program tries to reach (the kernel completes the handshake from the
/// backlog: nothing needs to accept).
final class LoopbackListener: @unchecked Sendable {
    let descriptor: Int32
    let port: UInt16

    init() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.descriptor = descriptor
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                bind(descriptor, address, length) == 0 && listen(descriptor, 8) == 0 && getsockname(descriptor, address, &length) == 0
            }
        }
        guard descriptor >= 0, bound else { throw POSIXError(.EADDRNOTAVAIL) }
        port = UInt16(bigEndian: address.sin_port)
    }

    deinit { close(descriptor) }
}

@Suite("the compiled recipe program runs confined")
struct RecipeSandboxTests {
    /// A recipe whose evaluation tries everything the sandbox forbids and reports each outcome in its description.
    static func hostileRecipe(secret: String, link: String, port: UInt16, writes: [String]) -> String {
        """
        import Glibc
        import LabforgeRecipe

        private func outcome(_ status: Int32, _ success: String) -> String { status >= 0 ? success : "refused(errno \\(errno))" }

        private func readSecret(_ path: String) -> String {
            let descriptor = open(path, O_RDONLY)
            guard descriptor >= 0 else { return outcome(-1, "") }
            defer { close(descriptor) }
            var buffer = [UInt8](repeating: 0, count: 64)
            let count = read(descriptor, &buffer, buffer.count)
            return "read(" + String(decoding: buffer.prefix(max(count, 0)), as: UTF8.self) + ")"
        }

        private func connectLoopback() -> String {
            let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard descriptor >= 0 else { return outcome(-1, "") }
            defer { close(descriptor) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(\(port)).bigEndian
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let status = withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            return outcome(status, "connected")
        }

        private func create(_ path: String) -> String {
            let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            if descriptor >= 0 { close(descriptor) }
            return outcome(descriptor, "written")
        }

        private func signingKey() -> String {
            getenv("LABFORGE_SIGN_KEY").map { "present(" + String(cString: $0) + ")" } ?? "absent"
        }

        let probes = (["secret=" + readSecret("\(secret)"), "link=" + readSecret("\(link)"), "tcp=" + connectLoopback(), "key=" + signingKey()]
            + [\(writes.map { "\"\($0)\"" }.joined(separator: ", "))].map { "write \\($0)=" + create($0) }).joined(separator: ";")

        let probe = Recipe(name: "probe-lab", description: probes) { Install("git") }

        """
    }

    /// A recipe whose evaluation creates `marker`: proof, when it is absent, that the program never ran.
    static func markingRecipe(_ marker: String) -> String {
        """
        import Glibc
        import LabforgeRecipe
        let evaluated: String = { let descriptor = open("\(marker)", O_WRONLY | O_CREAT, 0o644); if descriptor >= 0 { close(descriptor) }; return "x" }()
        let lab = Recipe(name: "plain-lab", description: evaluated) { Install("git") }

        """
    }

    @Test("a recipe reads a 0600 secret in HOME (directly and through a link in its folder), connects to 127.0.0.1, writes outside /tmp, prints LABFORGE_SIGN_KEY: all fail")
    func hostileProgram() async throws {
        let folder = try RecipeFolder()
        let home = folder.directory.appending("home")
        try FileManager.default.createDirectory(atPath: home + "/.ssh", withIntermediateDirectories: true)
        let secret = home + "/.ssh/id_ed25519"
        try "PRIVATE KEY MATERIAL\n".write(toFile: secret, atomically: true, encoding: .utf8)
        #expect(chmod(secret, 0o600) == 0)
        let listener = try LoopbackListener()
        let hostTemp = "/tmp/labforge-probe-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: hostTemp) }
        // Inside the recipe folder (visible, read-only), in HOME (not visible), and in /tmp (a tmpfs of its own).
        let writes = [folder.recipes + "/planted", home + "/planted", hostTemp]
        try folder.write("Probe.swift", Self.hostileRecipe(secret: secret, link: folder.recipes + "/key", port: listener.port, writes: writes))
        // A link inside the recipe folder (which the program sees) to the secret outside it.
        try FileManager.default.createSymbolicLink(atPath: folder.recipes + "/key", withDestinationPath: secret)

        let environment = ["LABFORGE_SIGN_KEY": "signing-key-the-recipe-must-not-see", "HOME": home]
        let shown = try await Command.labforge(["show", folder.recipes, "probe-lab", "--json", "--cache-dir", folder.cache], environment: environment)
        #expect(shown.status == 0, "\(shown.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: shown.stdoutData) as? [String: Any])
        let description = try #require((report["recipe"] as? [String: Any])?["description"] as? String)
        let outcomes = Dictionary(description.split(separator: ";").map { part -> (String, String) in
            let pieces = part.split(separator: "=", maxSplits: 1)
            return (String(pieces[0]), pieces.count > 1 ? String(pieces[1]) : "")
        }, uniquingKeysWith: { first, _ in first })
        #expect(outcomes["secret"]?.hasPrefix("refused") == true, "\(description)")
        #expect(outcomes["link"]?.hasPrefix("refused") == true, "\(description)")
        #expect(outcomes["tcp"]?.hasPrefix("refused") == true, "\(description)")
        #expect(outcomes["key"] == "absent", "\(description)")
        #expect(outcomes["write \(writes[0])"]?.hasPrefix("refused") == true, "\(description)")
        #expect(outcomes["write \(writes[1])"]?.hasPrefix("refused") == true, "\(description)")
        for path in writes {
            #expect(!FileManager.default.fileExists(atPath: path), "the recipe program wrote \(path) on the host")
        }
        #expect(!shown.stdout.contains("PRIVATE KEY") && !shown.stdout.contains("signing-key-the-recipe-must-not-see"))
    }

    @Test(
        "bubblewrap that cannot make namespaces (max_user_namespaces 0): labforge fails with bwrap's reason and what to check; nothing runs unconfined",
        .enabled(if: geteuid() == 0, "the test's own user namespace is made as root"))
    func namespacesUnavailable() async throws {
        let folder = try RecipeFolder()
        let marker = folder.directory.appending("evaluated")
        try folder.write("Lab.swift", Self.markingRecipe(marker))
        // A user namespace of the test's own (root mapped to root) whose limit allows no further one: bwrap's
        // --unshare-user fails there as it does on a host that forbids them.
        let script = "echo 0 > /proc/sys/user/max_user_namespaces && exec \"$0\" \"$@\""
        let refused = try await Command.run([
            "unshare", "--user", "--map-root-user", "sh", "-c", script, Command.labforgeBinary, "list", folder.recipes, "--cache-dir", folder.cache,
        ])
        #expect(refused.status != 0)
        #expect(refused.stdout.isEmpty, "\(refused.stdout)")
        #expect(refused.stderr.contains("bubblewrap could not confine the compiled recipe program: bwrap: "), "\(refused.stderr)")
        #expect(refused.stderr.contains("It needs user namespaces"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: marker), "the recipe program ran without its sandbox")
    }

    @Test("a recipe that never finishes evaluating is stopped at the time limit, with the reason and the setting to change")
    func loopingRecipe() async throws {
        let folder = try RecipeFolder()
        let marker = "labforge-spinning-recipe-\(UUID().uuidString.prefix(8))"
        try folder.write("Spin.swift", """
            import Glibc
            import LabforgeRecipe
            let spinning: String = { while true { usleep(10_000) } }()
            let lab = Recipe(name: "spin-lab", description: spinning + "\(marker)") { Install("git") }
            """)
        let stopped = try await Command.labforge(
            ["list", folder.recipes, "--cache-dir", folder.cache], environment: ["LABFORGE_RECIPE_TIME_LIMIT": "5"])
        #expect(stopped.status != 0)
        #expect(stopped.stderr.contains("evaluating the recipes did not finish within 5 s"), "\(stopped.stderr)")
        #expect(stopped.stderr.contains("LABFORGE_RECIPE_TIME_LIMIT=SECONDS"), "\(stopped.stderr)")
        // Nothing of the run is left: neither bubblewrap nor the program (it is bwrap's child, --die-with-parent).
        let left = try await Command.run(["pgrep", "-f", folder.cache])
        #expect(left.stdout.isEmpty, "still running: \(left.stdout)")
    }

    @Test("without bwrap in PATH, loading recipes fails and says to install bubblewrap; nothing runs unconfined")
    func bubblewrapMissing() async throws {
        let folder = try RecipeFolder()
        let marker = folder.directory.appending("evaluated")
        // A recipe whose evaluation leaves a mark: proof that no unconfined run happened.
        try folder.write("Lab.swift", Self.markingRecipe(marker))
        // Compiled with the usual PATH (swiftc needs its linker), then loaded from the cache with a PATH of swiftc's
        // folder only: no bwrap there.
        #expect(try await folder.labforge(["list", folder.recipes]).status == 0)
        let swiftc = try #require(ProcessInfo.processInfo.environment["PATH"]?.split(separator: ":")
            .map { "\($0)/swiftc" }.first { FileManager.default.isExecutableFile(atPath: $0) })
        let compilerFolder = URL(fileURLWithPath: swiftc).deletingLastPathComponent().path
        try #require(!FileManager.default.isExecutableFile(atPath: compilerFolder + "/bwrap"))
        let missing = try await Command.labforge(["list", folder.recipes, "--cache-dir", folder.cache], environment: ["PATH": compilerFolder])
        #expect(missing.status != 0)
        #expect(missing.stdout.isEmpty, "\(missing.stdout)")
        #expect(missing.stderr.contains("`bwrap` is not installed: apt-get install bubblewrap"), "\(missing.stderr)")
        #expect(!FileManager.default.fileExists(atPath: marker), "the recipe program ran without bubblewrap")
    }
}
