// The last guard of scratch removal, with real mounts: a tree with something mounted inside is never deleted
// recursively (that is how a routine rm -rf of a killed bootstrap's scratch reached the host's /proc and /sys), and an
// interrupted run says "stopped cleanly" only when nothing was left.
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Reporting
import Testing
import TestSupport

@Suite("Scratch removal never crosses a mount point")
struct ScratchRemovalTests {
    /// A tmpfs mounted at `point` for the test's body, unmounted afterwards whatever happens.
    private func withTmpfs(at point: String, _ body: () throws -> Void) throws {
        try FileManager.default.createDirectory(atPath: point, withIntermediateDirectories: true)
        try #require(mount("tmpfs", point, "tmpfs", 0, "size=1m") == 0, "cannot mount a tmpfs at \(point): errno \(errno)")
        defer {
            if umount2(point, Int32(MNT_DETACH)) != 0 { Issue.record("cannot unmount \(point): errno \(errno)") }
        }
        try body()
    }

    @Test("a scratch tree with a file system mounted inside is left, with the mount named; its files survive",
        .enabled(if: geteuid() == 0, "mounting needs root"))
    func mountedInsideIsLeft() throws {
        let directory = try TemporaryDirectory(prefix: "labforge-scratch")
        let scratch = directory.appending("labforge-bootstrap-x")
        let proc = scratch + "/root/proc"
        try withTmpfs(at: proc) {
            // Stands for the host's /proc or /sys: what a recursive delete must not reach.
            try Data("host".utf8).write(to: URL(fileURLWithPath: proc + "/sentinel"))
            let left = try #require(ScratchRemoval.remove(scratch))
            #expect(left.path == scratch)
            #expect(left.reason.hasPrefix("still mounted inside it: \(proc);"), "\(left.reason)")
            #expect(FileManager.default.fileExists(atPath: proc + "/sentinel"))
            #expect(Interruption.outcome(SIGTERM, left: [left], unwound: true)
                == "labforge: interrupted by SIGTERM; left \(scratch): \(left.reason)")
        }
        // Once nothing is mounted there, it goes.
        #expect(ScratchRemoval.remove(scratch) == nil)
        #expect(!FileManager.default.fileExists(atPath: scratch))
    }

    @Test("mount points are read with the kernel's escapes undone (space, tab, backslash)",
        .enabled(if: geteuid() == 0, "mounting needs root"))
    func escapedMountPoints() throws {
        let directory = try TemporaryDirectory(prefix: "labforge-scratch")
        let point = directory.appending("a b\tc\\d")
        try withTmpfs(at: point) {
            #expect(MountTable.mountPoints(under: directory.path) == [point])
            #expect(MountTable.mountPoints(under: directory.path + "/") == [point])
            #expect(ScratchRemoval.remove(directory.path) != nil)
        }
        #expect(MountTable.mountPoints(under: directory.path).isEmpty)
    }

    @Test("a prefix of a mount point's name is not its parent")
    func siblingIsNotInside() {
        let table = "proc /tmp/s/rootfs/proc proc rw 0 0\ntmpfs /tmp/s2 tmpfs rw 0 0\n"
        #expect(MountTable.mountPoints(under: "/tmp/s", table: table) == ["/tmp/s/rootfs/proc"])
        #expect(MountTable.mountPoints(under: "/tmp/s2", table: table) == ["/tmp/s2"])
        #expect(MountTable.mountPoints(under: "/tmp/s/root", table: table).isEmpty)
    }

    @Test("removal of a missing path, a file, a dangling symbolic link")
    func plainRemovals() throws {
        let directory = try TemporaryDirectory(prefix: "labforge-scratch")
        #expect(ScratchRemoval.remove(directory.appending("missing")) == nil)
        let file = directory.appending("disk.partial")
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: file))
        #expect(ScratchRemoval.remove(file) == nil)
        let link = directory.appending("link")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: directory.appending("nowhere"))
        #expect(ScratchRemoval.remove(link) == nil)
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: link)) == nil)
    }

    @Test("\"stopped cleanly\" only when nothing was left and the command unwound")
    func outcomeLine() {
        #expect(Interruption.outcome(SIGINT, left: [], unwound: true) == "labforge: interrupted by SIGINT; stopped cleanly")
        #expect(!Interruption.outcome(SIGTERM, left: [], unwound: false).contains("stopped cleanly"))
        let left = [LeftScratch(path: "/tmp/a", reason: "cannot remove it: busy"), LeftScratch(path: "/tmp/b", reason: "still mounted inside it: /tmp/b/proc")]
        #expect(Interruption.outcome(SIGTERM, left: left, unwound: true)
            == "labforge: interrupted by SIGTERM; left /tmp/a: cannot remove it: busy; left /tmp/b: still mounted inside it: /tmp/b/proc")
    }
}
