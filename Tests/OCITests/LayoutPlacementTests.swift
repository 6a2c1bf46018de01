// A layout's temp directory beside the output: one a killed run abandoned is removed by the next run, one that another
// run is writing (locked) is left alone, and a layout replaced with --force leaves no temp behind.
import Foundation
import OCI
import Testing
import TestSupport

@Suite("layout placement")
struct LayoutPlacementTests {
    @Test("the next package run removes an abandoned temp layout and keeps one a live writer holds")
    func abandonedTemporaries() async throws {
        let dir = try TemporaryDirectory()
        let disk = dir.appending("d.qcow2")
        try await DiskFixtures.makeQcow2(at: disk, virtualSize: "128M", randomMiB: 1)
        // As AtomicFile names them: `.<name>.<16 hex digits>.partial`.
        let abandoned = dir.appending(".out.0123456789abcdef.partial")
        let held = dir.appending(".out.fedcba9876543210.partial")
        for path in [abandoned, held] {
            try FileManager.default.createDirectory(atPath: path + "/blobs/sha256", withIntermediateDirectories: true)
        }
        // A writer in another process holds its temp directory locked for as long as it writes.
        let lock = open(held, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        #expect(lock >= 0)
        defer { close(lock) }
        #expect(flock(lock, LOCK_EX | LOCK_NB) == 0)

        try await Command.check([Command.labforgeBinary, "package", disk, "-o", dir.appending("out"), "--name", "labs/x", "--tag", "1"])
        try await Command.check([Command.labforgeBinary, "package", disk, "-o", dir.appending("out"), "--name", "labs/x", "--tag", "2", "--force"])
        #expect(try ImageLayout(path: dir.appending("out")).tags == ["2"])
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        #expect(names == [".out.fedcba9876543210.partial", "d.qcow2", "out"])
    }
}
