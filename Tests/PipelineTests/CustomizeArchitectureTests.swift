// `labforge customize --arch`: the arguments and the refusals, through the binary, before anything runs (no appliance,
// no qemu-user): a foreign architecture takes a root tree archive, whose architecture and Debian release are read from
// it (its usr/bin/true's ELF machine, its os-release) and checked against --arch and the recipe. The archives here are
// small tars holding just those two files.
import Foundation
import Testing
import TestSupport

@Suite("labforge customize --arch")
struct CustomizeArchitectureTests {
    /// A tar (GNU format, as mmdebstrap's) holding `./usr/bin/true`, an ELF header for `machine`, and, unless nil,
    /// `./usr/lib/os-release` naming `codename`.
    static func archive(in directory: TemporaryDirectory, machine: UInt16, codename: String?) async throws -> String {
        let tree = directory.appending("tree-\(machine)-\(codename ?? "none")")
        try FileManager.default.createDirectory(atPath: tree + "/usr/bin", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: tree + "/usr/lib", withIntermediateDirectories: true)
        var elf = [UInt8](repeating: 0, count: 64)
        elf.replaceSubrange(0..<7, with: [0x7F, 0x45, 0x4C, 0x46, 2, 1, 1])
        elf[18] = UInt8(machine & 0xFF)
        elf[19] = UInt8(machine >> 8)
        try Data(elf).write(to: URL(fileURLWithPath: tree + "/usr/bin/true"))
        if let codename {
            try Data("PRETTY_NAME=\"Debian GNU/Linux\"\nVERSION_CODENAME=\(codename)\nID=debian\n".utf8).write(to: URL(fileURLWithPath: tree + "/usr/lib/os-release"))
        }
        let path = tree + ".tar"
        try await Command.check(["tar", "--format=gnu", "-cf", path, "-C", tree, "./usr"])
        return path
    }

    /// Runs `labforge customize debian-terminal` (a trixie bootstrap recipe) with `arguments`; the output must not appear.
    static func refused(_ arguments: [String], in directory: TemporaryDirectory) async throws -> String {
        let output = directory.appending("out.qcow2")
        let result = try await Command.labforge(["customize", "debian-terminal", "--output", output] + arguments)
        #expect(result.status != 0, "accepted: \(arguments)")
        #expect(!FileManager.default.fileExists(atPath: output))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasPrefix(".labforge-customize-") }
        #expect(leftovers.isEmpty, "\(leftovers)")
        return result.stderr
    }

    @Test("--arch takes amd64 or arm64; arm64 with a disk, or with no base at all, is refused naming the root tree archive to give")
    func architectureAndDisk() async throws {
        let directory = try TemporaryDirectory()
        let disk = directory.appending("base.qcow2")
        try await Command.check(["qemu-img", "create", "-q", "-f", "qcow2", disk, "64M"])
        let unknown = try await Self.refused(["--base", disk, "--arch", "s390x"], in: directory)
        #expect(unknown.contains("--arch s390x: expected one of amd64, arm64"), "\(unknown)")
        let fromDisk = try await Self.refused(["--base", disk, "--arch", "arm64"], in: directory)
        #expect(fromDisk.contains("--base \(disk) is a disk") && fromDisk.contains("labforge base bootstrap --arch arm64"), "\(fromDisk)")
        let missing = try await Self.refused(["--base", directory.appending("nothing.tar"), "--arch", "arm64"], in: directory)
        #expect(missing.contains("nothing.tar does not exist"), "\(missing)")
    }

    @Test("a root tree archive says its architecture: --arch must agree; an x86_64 tree, an unknown machine, another Debian release or no os-release is refused")
    func archiveChecks() async throws {
        let directory = try TemporaryDirectory()
        let arm = try await Self.archive(in: directory, machine: 183, codename: "trixie")
        let mismatch = try await Self.refused(["--base", arm, "--arch", "amd64"], in: directory)
        #expect(mismatch.contains("holds an arm64 tree, but --arch amd64 was given"), "\(mismatch)")
        let host = try await Self.archive(in: directory, machine: 62, codename: "trixie")
        let hostArchive = try await Self.refused(["--base", host], in: directory)
        #expect(hostArchive.contains("root tree archive of amd64, this host's architecture"), "\(hostArchive)")
        let arm32 = try await Self.archive(in: directory, machine: 40, codename: "trixie")
        let unknown = try await Self.refused(["--base", arm32], in: directory)
        #expect(unknown.contains("ELF machine 40"), "\(unknown)")
        let bookworm = try await Self.archive(in: directory, machine: 183, codename: "bookworm")
        let suite = try await Self.refused(["--base", bookworm, "--arch", "arm64"], in: directory)
        #expect(suite.contains("is Debian bookworm, but recipe debian-terminal bootstraps trixie"), "\(suite)")
        let bare = try await Self.archive(in: directory, machine: 183, codename: nil)
        let unreadable = try await Self.refused(["--base", bare], in: directory)
        #expect(unreadable.contains("cannot be read as one") && unreadable.contains("./usr/lib/os-release"), "\(unreadable)")
    }
}
