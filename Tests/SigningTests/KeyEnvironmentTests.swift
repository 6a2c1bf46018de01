// The real labforge binary started with LABFORGE_SIGN_KEY (and a stray SECRET_TOKEN) in its environment: the children
// it starts — a fake swiftc through the process runner, a fake qemu through Foundation's Process in the KVM probe —
// write what they inherited, and what /proc shows of labforge's own environment, into files the test reads.
import Foundation
import Testing
import TestSupport

@Suite("LABFORGE_SIGN_KEY never reaches a child")
struct KeyEnvironmentTests {
    /// A throwaway key's PEM text (openssl), and the line of its body a leak would show.
    static func pem(in directory: TemporaryDirectory) async throws -> (text: String, body: String) {
        let path = directory.appending("k.pem")
        try await Command.check(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", path])
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let body = try #require(text.split(separator: "\n").first { !$0.hasPrefix("-----") })
        try FileManager.default.removeItem(atPath: path)
        return (text, String(body))
    }

    /// A program that writes its environment to `<dump>.env` and its parent's (labforge's) `/proc/PID/environ` to
    /// `<dump>.parent`, then fails.
    static func spy(at path: String, dump: String) throws {
        try ExecutableScript.write("""
            #!/bin/sh
            env > '\(dump).env'
            tr '\\0' '\\n' < /proc/$PPID/environ > '\(dump).parent'
            echo 'spy: not a real program' >&2
            exit 1
            """, to: path)
    }

    /// What a leak would look like in a dump.
    static func expectClean(_ dump: String, pem: (text: String, body: String), inherited: Bool) throws {
        let environment = try String(contentsOfFile: dump + ".env", encoding: .utf8)
        let lines = environment.split(separator: "\n")
        #expect(!lines.contains { $0.hasPrefix("LABFORGE_SIGN_KEY=") }, "the key reached \(dump)")
        #expect(!environment.contains(pem.body) && !environment.contains("PRIVATE KEY"))
        #expect(!lines.contains { $0.hasPrefix("SECRET_TOKEN=") }, "SECRET_TOKEN reached \(dump)")
        #expect(lines.contains { $0.hasPrefix("PATH=") })
        if inherited { #expect(lines.contains("LABFORGE_SPY_MARK=kept"), "the allow-listed variable did not arrive") }
        // labforge's own initial environment block, as /proc shows it to the same user or root.
        let parent = try String(contentsOfFile: dump + ".parent", encoding: .utf8)
        #expect(!parent.contains("LABFORGE_SIGN_KEY") && !parent.contains(pem.body), "/proc/<labforge>/environ still holds the key")
        #expect(parent.contains("SECRET_TOKEN=x"), "the dump did not read labforge's environment block")
    }

    @Test("a child started through the process runner (swiftc for `labforge list`) sees neither the key nor SECRET_TOKEN, but PATH")
    func runnerChild() async throws {
        let work = try TemporaryDirectory()
        let pem = try await Self.pem(in: work)
        try Self.spy(at: work.appending("swiftc"), dump: work.appending("swiftc"))
        let recipes = work.appending("recipes")
        try FileManager.default.createDirectory(atPath: recipes, withIntermediateDirectories: true)
        try "import LabforgeRecipe\nlet lab = Recipe(name: \"spy-lab\") { Install(\"tree\") }\n"
            .write(toFile: recipes + "/Lab.swift", atomically: true, encoding: .utf8)
        let result = try await Command.labforge(["list", recipes], environment: [
            "LABFORGE_SIGN_KEY": pem.text, "SECRET_TOKEN": "x", "LABFORGE_SPY_MARK": "kept",
            "LABFORGE_SWIFTC": work.appending("swiftc"), "XDG_CACHE_HOME": work.appending("cache"),
        ])
        #expect(result.status != 0)
        try #require(FileManager.default.fileExists(atPath: work.appending("swiftc.env")), "the fake swiftc never ran: \(result.stderr)")
        try Self.expectClean(work.appending("swiftc"), pem: pem, inherited: true)
    }

    /// The KVM probe starts qemu when /dev/kvm answers and a host kernel is there to boot (here: KVM present, qemu
    /// refused); elsewhere it decides without starting anything and there is no child to observe.
    static let probeStartsQemu = FileManager.default.isWritableFile(atPath: "/dev/kvm")
        && ((try? FileManager.default.contentsOfDirectory(atPath: "/boot"))?.contains { $0.hasPrefix("vmlinuz-") } ?? false)

    @Test("a child started by Foundation's Process (the KVM probe's qemu) sees neither the key nor SECRET_TOKEN",
          .enabled(if: probeStartsQemu, "the KVM probe starts no qemu on this machine"))
    func foundationProcessChild() async throws {
        let work = try TemporaryDirectory()
        let pem = try await Self.pem(in: work)
        try Self.spy(at: work.appending("qemu-system-x86_64"), dump: work.appending("qemu"))
        let result = try await Command.labforge(["accelerator", "--fresh"], environment: [
            "LABFORGE_SIGN_KEY": pem.text, "SECRET_TOKEN": "x", "LABFORGE_SPY_MARK": "kept", "LABFORGE_ACCEL": "",
            "PATH": work.path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"),
        ])
        #expect(result.status == 0, "\(result.stderr)")
        try #require(FileManager.default.fileExists(atPath: work.appending("qemu.env")), "the probe started no qemu: \(result.stdout)")
        try Self.expectClean(work.appending("qemu"), pem: pem, inherited: true)
    }
}
