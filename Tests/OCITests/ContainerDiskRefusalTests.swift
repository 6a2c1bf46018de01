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
            try await Command.check([
                "qemu-img", "create", "-q", "--object", "secret,id=s0,data=labforge", "-f", "qcow2", "-o", "encrypt.format=luks,encrypt.key-secret=s0",
                dir.appending("enc.qcow2"), "64M",
            ])
            return dir.appending("enc.qcow2")
        }, expected: "is encrypted"),
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
        let before = Set(try FileManager.default.contentsOfDirectory(atPath: dir.path))
        var arguments = ["package", disk, "--output", dir.appending("out"), "--name", "labs/x", "--tag", "1"]
        arguments += refusal.arguments  // later options win
        let result = try await Command.labforge(arguments)
        #expect(result.status != 0)
        #expect(result.stderr.contains(refusal.expected), "stderr: \(result.stderr)")
        #expect(result.stderr.split(separator: "\n").filter { $0.hasPrefix("Error:") }.count == 1)
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: dir.path)) == before)
    }

    @Test("an existing output needs --force; --force replaces a layout but never a non-layout directory")
    func existingOutput() async throws {
        let dir = try TemporaryDirectory()
        let disk = dir.appending("d.qcow2")
        try await DiskFixtures.makeQcow2(at: disk, virtualSize: "128M", randomMiB: 1)
        let out = dir.appending("out")
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
        // No temp directories were left beside the outputs.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains(".partial-") }.isEmpty)
    }

    @Test("Ctrl-C during packaging leaves the previous output or nothing")
    func interruptLeavesNothing() async throws {
        let dir = try TemporaryDirectory()
        let disk = dir.appending("big.raw")
        // Random data compresses slowly enough to interrupt mid-stream.
        try await Command.check(["dd", "if=/dev/urandom", "of=\(disk)", "bs=1M", "count=1024", "status=none"])
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Command.labforgeBinary)
        process.arguments = ["package", disk, "-o", dir.appending("out"), "--name", "labs/x", "--tag", "1"]
        process.standardError = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // Wait until the temp layout exists, then interrupt.
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline, try FileManager.default.contentsOfDirectory(atPath: dir.path).allSatisfy({ !$0.contains(".partial-") }) {
            usleep(20_000)
        }
        usleep(200_000)
        process.interrupt()
        process.waitUntilExit()
        #expect(process.terminationStatus == 130)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["big.raw"])
    }
}
