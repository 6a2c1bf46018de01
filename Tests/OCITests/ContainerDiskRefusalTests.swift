// Every input KubeVirt would refuse at VM start is refused at build time: one line, non-zero exit, nothing written.
import Foundation
import OCI
import Testing
import TestSupport

@Suite("labforge package refusals")
struct ContainerDiskRefusalTests {
    struct Case: Sendable, CustomStringConvertible {
        var description: String
        var makeDisk: @Sendable (TemporaryDirectory) async throws -> String
        var arguments: [String] = []
        var expected: String
    }

    static let cases: [Case] = [
        Case(description: "missing file", makeDisk: { $0.appending("nope.qcow2") }, expected: "no such file"),
        Case(description: "a directory", makeDisk: { dir in
            try FileManager.default.createDirectory(atPath: dir.appending("d"), withIntermediateDirectories: true)
            return dir.appending("d")
        }, expected: "not a regular file"),
        Case(description: "vmdk format", makeDisk: { dir in
            try await Command.check(["qemu-img", "create", "-q", "-f", "vmdk", dir.appending("d.vmdk"), "64M"])
            return dir.appending("d.vmdk")
        }, expected: "format vmdk is not accepted"),
        Case(description: "backing file", makeDisk: { dir in
            try await Command.check(["qemu-img", "create", "-q", "-f", "qcow2", dir.appending("base.qcow2"), "64M"])
            try await Command.check(["qemu-img", "create", "-q", "-f", "qcow2", "-b", dir.appending("base.qcow2"), "-F", "qcow2", dir.appending("top.qcow2")])
            return dir.appending("top.qcow2")
        }, expected: "has backing file"),
        Case(description: "encrypted", makeDisk: { dir in
            // LUKS times its key derivation by the thread's CPU time first, and on this kind of machine qemu-img often
            // cannot ("Unable to get accurate CPU usage": seen three times in a row in CI, and idle here in 2 of 3
            // tries). That is the fixture's problem, not the refusal's: after three such tries the disk is made with
            // qcow2's older AES encryption, which has no timing step; `qemu-img info` says "encrypted" for both.
            for attempt in 1...3 {
                let created = try await Command.run([
                    "qemu-img", "create", "-q", "--object", "secret,id=s0,data=labforge", "-f", "qcow2", "-o", "encrypt.format=luks,encrypt.key-secret=s0",
                    dir.appending("enc.qcow2"), "64M",
                ])
                if created.status == 0 { return dir.appending("enc.qcow2") }
                guard created.stderr.contains("Unable to get accurate CPU usage") else {
                    throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "qemu-img create (luks, try \(attempt)) failed: \(created.stderr)"])
                }
            }
            try await Command.check([
                "qemu-img", "create", "-q", "--object", "secret,id=s0,data=labforge", "-f", "qcow2", "-o", "encrypt.format=aes,encrypt.key-secret=s0",
                dir.appending("enc.qcow2"), "64M",
            ])
            return dir.appending("enc.qcow2")
        }, expected: "is encrypted"),
        Case(description: "raw image not a multiple of 512 bytes", makeDisk: { dir in
            try Data(count: 1000).write(to: URL(fileURLWithPath: dir.appending("disk.raw")))
            return dir.appending("disk.raw")
        }, expected: "has 1000 bytes (488 left over)"),
        Case(description: "an 8-byte text file named .qcow2", makeDisk: { dir in
            try Data("not disk".utf8).write(to: URL(fileURLWithPath: dir.appending("g.qcow2")))
            return dir.appending("g.qcow2")
        }, expected: "g.qcow2: named as a qcow2 image but its content is text starting with \"not disk\""),
        Case(description: "an HTML error page saved as disk.qcow2", makeDisk: { dir in
            let page = "<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head><body><h1>Not Found</h1></body></html>\n"
            try Data(page.utf8).write(to: URL(fileURLWithPath: dir.appending("disk.qcow2")))
            return dir.appending("disk.qcow2")
        }, expected: "disk.qcow2: named as a qcow2 image but its content is text starting with \"<!DOCTYPE html>\""),
        Case(description: "a qcow2 named .vmdk", makeDisk: { dir in
            try await DiskFixtures.makeQcow2(at: dir.appending("d.qcow2"), virtualSize: "128M", randomMiB: 1)
            try FileManager.default.moveItem(atPath: dir.appending("d.qcow2"), toPath: dir.appending("d.vmdk"))
            return dir.appending("d.vmdk")
        }, expected: "d.vmdk: named as a vmdk image but its content is a qcow2 image"),
        Case(description: "a raw disk named .vhd", makeDisk: { dir in
            try await Command.check(["truncate", "-s", "1M", dir.appending("d.vhd")])
            return dir.appending("d.vhd")
        }, expected: "d.vhd: named as a vpc image but its content is raw data"),
        Case(description: "a gzip-compressed disk", makeDisk: { dir in
            try await Command.check(["truncate", "-s", "1M", dir.appending("d.img")])
            try await Command.check(["gzip", "-n", dir.appending("d.img")])
            return dir.appending("d.img.gz")
        }, expected: "not a disk image: its content is gzip-compressed data"),
        Case(description: "a blank qcow2 (no partition table, no file system)", makeDisk: { dir in
            try await Command.check(["qemu-img", "create", "-q", "-f", "qcow2", dir.appending("blank.qcow2"), "64M"])
            return dir.appending("blank.qcow2")
        }, expected: "blank.qcow2: has neither a partition table nor a file system (a blank disk); pass --allow-blank"),
        Case(description: "a blank raw disk", makeDisk: { dir in
            try await Command.check(["truncate", "-s", "64M", dir.appending("blank.raw")])
            return dir.appending("blank.raw")
        }, expected: "blank.raw: has neither a partition table nor a file system"),
        Case(description: "invalid repository", makeDisk: { dir in
            try await Command.check(["qemu-img", "create", "-q", "-f", "qcow2", dir.appending("ok.qcow2"), "64M"])
            return dir.appending("ok.qcow2")
        }, arguments: ["--name", "Labs/Debian"], expected: "invalid repository name 'Labs/Debian'"),
        Case(description: "invalid tag", makeDisk: { dir in
            try await Command.check(["qemu-img", "create", "-q", "-f", "qcow2", dir.appending("ok.qcow2"), "64M"])
            return dir.appending("ok.qcow2")
        }, arguments: ["--tag=-bad"], expected: "invalid tag '-bad'"),
        Case(description: "bad annotation", makeDisk: { dir in
            try await Command.check(["qemu-img", "create", "-q", "-f", "qcow2", dir.appending("ok.qcow2"), "64M"])
            return dir.appending("ok.qcow2")
        }, arguments: ["--annotation", "novalue"], expected: "invalid annotation 'novalue'"),
    ]

    @Test("refused with one clear line naming the rule; nothing left on disk", arguments: cases)
    func refuses(_ refusal: Case) async throws {
        let dir = try TemporaryDirectory()
        let disk = try await refusal.makeDisk(dir)
        // Its own TMPDIR, to see that the content probe leaves nothing there either.
        let temporary = dir.appending("tmp")
        try FileManager.default.createDirectory(atPath: temporary, withIntermediateDirectories: true)
        let before = Set(try FileManager.default.contentsOfDirectory(atPath: dir.path))
        var arguments = ["package", disk, "--output", dir.appending("out"), "--name", "labs/x", "--tag", "1"]
        arguments += refusal.arguments  // later options win
        let result = try await Command.labforge(arguments, environment: ["TMPDIR": temporary])
        #expect(result.status != 0)
        #expect(result.stderr.contains(refusal.expected), "stderr: \(result.stderr)")
        #expect(result.stderr.split(separator: "\n").filter { $0.hasPrefix("Error:") }.count == 1)
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: dir.path)) == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: temporary).isEmpty)
    }

    @Test("--allow-blank packages a blank data disk; a disk with a file system needs no flag")
    func blankDataDiskWhenAsked() async throws {
        let dir = try TemporaryDirectory()
        let blank = dir.appending("data.qcow2")
        try await Command.check(["qemu-img", "create", "-q", "-f", "qcow2", blank, "64M"])
        let result = try await Command.labforge(["package", blank, "-o", dir.appending("blank"), "--name", "labs/data", "--tag", "1", "--allow-blank"])
        #expect(result.status == 0, "\(result.stderr)")
        let formatted = dir.appending("fs.raw")
        try await Command.check(["truncate", "-s", "16M", formatted])
        try await Command.check(["mkfs.ext4", "-q", "-F", formatted])
        let plain = try await Command.labforge(["package", formatted, "-o", dir.appending("fs"), "--name", "labs/data", "--tag", "1"])
        #expect(plain.status == 0, "\(plain.stderr)")
    }

    @Test("an existing output needs --force; --force replaces a layout but never a non-layout directory; a temp layout a killed run abandoned is removed, a live writer's kept")
    func existingOutput() async throws {
        let dir = try TemporaryDirectory()
        let disk = dir.appending("d.qcow2")
        try await DiskFixtures.makeQcow2(at: disk, virtualSize: "128M", randomMiB: 1)
        let out = dir.appending("out")
        // Temp layouts as AtomicFile names them (`.<name>.<16 hex digits>.partial`): one abandoned, one whose writer
        // (here, this process) holds it locked for as long as it writes.
        let held = ".out.fedcba9876543210.partial"
        for name in [".out.0123456789abcdef.partial", held] {
            try FileManager.default.createDirectory(atPath: dir.appending(name + "/blobs/sha256"), withIntermediateDirectories: true)
        }
        let lock = open(dir.appending(held), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        defer { close(lock) }
        #expect(flock(lock, LOCK_EX | LOCK_NB) == 0)
        try await Command.check([Command.labforgeBinary, "package", disk, "-o", out, "--name", "labs/x", "--tag", "1"])
        let again = try await Command.labforge(["package", disk, "-o", out, "--name", "labs/x", "--tag", "2"])
        #expect(again.status != 0)
        #expect(again.stderr.contains("already exists; pass --force"))
        #expect(try ImageLayout(path: out).tags == ["1"])
        try await Command.check([Command.labforgeBinary, "package", disk, "-o", out, "--name", "labs/x", "--tag", "2", "--force"])
        #expect(try ImageLayout(path: out).tags == ["2"])

        let precious = dir.appending("precious")
        try FileManager.default.createDirectory(atPath: precious, withIntermediateDirectories: true)
        try Data("keep".utf8).write(to: URL(fileURLWithPath: precious + "/notes.txt"))
        let refused = try await Command.labforge(["package", disk, "-o", precious, "--name", "labs/x", "--tag", "1", "--force"])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("is not an OCI image layout"))
        #expect(FileManager.default.fileExists(atPath: precious + "/notes.txt"))
        // No temp directories were left beside the outputs but the one still held.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix(".") && $0.hasSuffix(".partial") } == [held])
    }

    @Test("Ctrl-C during packaging leaves the previous output or nothing")
    func interruptLeavesNothing() async throws {
        let dir = try TemporaryDirectory()
        let disk = dir.appending("big.raw")
        // Random data compresses slowly enough to interrupt mid-stream.
        try await Command.check(["dd", "if=/dev/urandom", "of=\(disk)", "bs=1M", "count=1024", "status=none"])
        try await Command.check(["sfdisk", "-q", disk], input: Data("start=2048, type=83\n".utf8))  // a disk, not a blank
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Command.labforgeBinary)
        process.arguments = ["package", disk, "-o", dir.appending("out"), "--name", "labs/x", "--tag", "1"]
        process.standardError = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // Wait until the temp layout exists, then interrupt.
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline, try FileManager.default.contentsOfDirectory(atPath: dir.path).allSatisfy({ !($0.hasPrefix(".") && $0.hasSuffix(".partial")) }) {
            usleep(20_000)
        }
        usleep(200_000)
        process.interrupt()
        process.waitUntilExit()
        #expect(process.terminationStatus == 130)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["big.raw"])
    }
}
