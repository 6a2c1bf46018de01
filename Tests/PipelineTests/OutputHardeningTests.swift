// Names and versions reach `images/<name>/<version>/` only when valid; the cache is private; disks are not
// world-readable. No VM: an invalid recipe stops before anything is built.
import AtomicFile
import DiskImage
import Foundation
import LabforgeRecipe
@testable import Pipeline
import Testing
import TestSupport

@Suite("build output hardening")
struct OutputHardeningTests {
    static func mode(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path)[.posixPermissions]) as? Int ?? -1) & 0o7777
    }

    @Test("a recipe version with '../' or a newline fails the image before any directory or file is written", .bootsVM)
    func unsafeVersion() async throws {
        let work = try TemporaryDirectory()
        let output = work.appending("out/images")
        let options = BuildOptions(output: output, cacheRoot: work.appending("cache"), verify: false, toolVersion: "test")
        let recipes = [
            Recipe(name: "escape", version: "../../../escaped") { Run("true") },
            Recipe(name: "newline", version: "1.0\nkind: Secret") { Run("true") },
        ]
        let report = try await VMSlots.hold { try await BuildRunner(options: options).run(recipes) }
        #expect(report.failed == 2)
        for summary in report.images {
            #expect(summary.status == .failed)
            #expect(summary.error?.message.contains("version") == true, "\(String(describing: summary.error))")
            #expect(summary.directory.isEmpty && summary.log.isEmpty)
        }
        #expect(!FileManager.default.fileExists(atPath: work.appending("escaped")))
        #expect(!FileManager.default.fileExists(atPath: output + "/escape"))
        #expect(!FileManager.default.fileExists(atPath: output + "/newline"))
        #expect(!FileManager.default.fileExists(atPath: work.appending("cache")), "nothing was cached either")
    }

    @Test("ImageOutput itself refuses what would leave the output root")
    func imageOutput() throws {
        #expect(throws: PipelineError.self) { try ImageOutput(root: "/tmp/images", name: "lab", version: "../x") }
        #expect(throws: PipelineError.self) { try ImageOutput(root: "/tmp/images", name: "../lab", version: "1.0") }
        #expect(throws: PipelineError.self) { try ImageOutput(root: "/tmp/images", name: "lab", version: "/etc") }
        #expect(try ImageOutput(root: "/tmp/images", name: "lab", version: "1.0").directory == "/tmp/images/lab/1.0")
        let message = PipelineError.unsafeOutputName(name: "lab", version: "1.0\n").description
        #expect(message.contains(#""1.0\n""#) && message.contains("newline"), "\(message)")
    }

    @Test("push targets: the registry host is parsed, not trusted")
    func pushTargets() {
        for bad in ["127.0.0.1\n:5000/labs", "evil.example:99999/labs", "a..b.example/labs", "host.example/../labs"] {
            #expect(throws: PipelineError.self, "\(bad)") { try PushTarget(parsing: bad) }
        }
    }

    @Test("the image cache is 0700; atomic writes set the mode they are given")
    func cacheAndWriteModes() throws {
        let work = try TemporaryDirectory()
        let cache = ImageCache(root: work.appending("cache"))
        try cache.prepare()
        #expect(Self.mode(cache.root) == 0o700)
        #expect(Self.mode(cache.images) == 0o700)
        #expect(Self.mode(cache.snapshots) == 0o700)
        let file = work.appending("report.json")
        try AtomicFile.write(Data("{}".utf8), to: file, mode: 0o600)
        #expect(Self.mode(file) == 0o600)
        try AtomicFile.write(Data("{}".utf8), to: file)
        #expect(Self.mode(file) == 0o644)
        // A disk copied into the output (no hard link possible) is 0640 like the cached one.
        let disk = work.appending("cache/images/disk.qcow2")
        try Data(count: 4096).write(to: URL(fileURLWithPath: disk))
        try FileAccess.setMode(disk, FileAccess.diskFileMode)
        try FileManager.default.createDirectory(atPath: work.appending("images/lab/1.0"), withIntermediateDirectories: true)
        try DiskFile.link(disk, to: work.appending("images/lab/1.0/disk.qcow2"))
        #expect(Self.mode(work.appending("images/lab/1.0/disk.qcow2")) == 0o640)
    }
}
