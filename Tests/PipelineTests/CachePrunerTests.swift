// `labforge cache prune`: old finished disks and snapshots go, recent ones, those a build holds and those a kept
// snapshot backs on stay.
import DiskImage
import Foundation
import Pipeline
import Testing
import TestSupport

@Suite("cache prune")
struct CachePrunerTests {
    func make(_ path: String, bytes: Int, daysOld: Double) throws {
        try Data(count: bytes).write(to: URL(fileURLWithPath: path))
        try age(path, daysOld: daysOld)
    }

    func age(_ path: String, daysOld: Double) throws {
        let date = Date(timeIntervalSinceNow: -daysOld * 86_400)
        try FileManager.default.setAttributes([.modificationDate: date], ofItemAtPath: path)
    }

    @Test func removesUnusedEntriesKeepsRecentAndLockedOnes() async throws {
        let root = try TemporaryDirectory()
        let images = root.appending("images")
        let snapshots = root.appending("snapshots")
        let bases = root.appending("bases/images")
        for directory in [images, snapshots, bases] { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        try make(images + "/old.qcow2", bytes: 65_536, daysOld: 30)
        try make(images + "/old.verification.json", bytes: 10, daysOld: 30)
        try make(images + "/busy.qcow2", bytes: 4096, daysOld: 30)
        try make(images + "/fresh.qcow2", bytes: 4096, daysOld: 1)
        try make(snapshots + "/stale.qcow2", bytes: 4096, daysOld: 20)
        try make(bases + "/debian.qcow2", bytes: 4096, daysOld: 90)
        // A build uses `busy` (shared, as builds hold what they use) — the one lock rule, in `<root>/locks/`.
        let locks = CacheLocks(root: root.path)
        let lease = try await locks.use("busy")
        defer { lease.release() }

        let result = try CachePruner(root: root.path).prune(olderThan: 14 * 86_400)
        #expect(Set(result.removed) == [images + "/old.qcow2", images + "/old.verification.json", snapshots + "/stale.qcow2"])
        #expect(result.inUse == [images + "/busy.qcow2"])
        #expect(result.freedBytes >= 65_536)
        #expect(FileManager.default.fileExists(atPath: images + "/fresh.qcow2"))
        #expect(FileManager.default.fileExists(atPath: bases + "/debian.qcow2"), "bases stay unless asked")

        let everything = try CachePruner(root: root.path).prune(olderThan: 0, includeBases: true)
        #expect(everything.removed.contains(bases + "/debian.qcow2") && everything.removed.contains(images + "/fresh.qcow2"))
        #expect(everything.inUse == [images + "/busy.qcow2"])
        #expect(FileManager.default.fileExists(atPath: locks.path("busy")), "lock files are never removed")
    }

    @Test("a base's image and download share one lock in <root>/locks, whichever directory they are in")
    func baseEntriesUseTheCacheLocks() async throws {
        let root = try TemporaryDirectory()
        for directory in ["bases/images", "bases/downloads"] {
            try FileManager.default.createDirectory(atPath: root.appending(directory), withIntermediateDirectories: true)
        }
        try make(root.appending("bases/images/debian-trixie-0123.qcow2"), bytes: 512, daysOld: 90)
        try make(root.appending("bases/downloads/debian-trixie-0123.download"), bytes: 512, daysOld: 90)
        try make(root.appending("bases/images/.debian-trixie-0123.C0FFEE.partial"), bytes: 512, daysOld: 90)
        let lease = try await CacheLocks(root: root.path).use("debian-trixie-0123")
        let held = try CachePruner(root: root.path).prune(olderThan: 0, includeBases: true)
        #expect(held.removed.isEmpty)
        #expect(held.inUse.count == 3)
        lease.release()
        let free = try CachePruner(root: root.path).prune(olderThan: 0, includeBases: true)
        #expect(free.removed.count == 3)
    }

    @Test("a kept snapshot keeps every snapshot and base of its backing chain, however old")
    func keepsTheBackingChainOfKeptSnapshots() async throws {
        let root = try TemporaryDirectory()
        let snapshots = root.appending("snapshots")
        let bases = root.appending("bases/images")
        for directory in [snapshots, bases] { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        // base ← first ← second (fresh), and an unrelated old snapshot on the same base.
        let base = bases + "/debian-base.qcow2"
        try await Command.check(["qemu-img", "create", "-q", "-f", "qcow2", base, "64M"])
        let first = snapshots + "/aaaa.qcow2"
        let second = snapshots + "/bbbb.qcow2"
        let other = snapshots + "/cccc.qcow2"
        try await Command.check(["qemu-img", "create", "-q", "-f", "qcow2", "-b", base, "-F", "qcow2", first])
        try await Command.check(["qemu-img", "create", "-q", "-f", "qcow2", "-b", first, "-F", "qcow2", second])
        try await Command.check(["qemu-img", "create", "-q", "-f", "qcow2", "-b", base, "-F", "qcow2", other])
        try age(base, daysOld: 90)
        try age(first, daysOld: 30)
        try age(other, daysOld: 30)

        let result = try CachePruner(root: root.path).prune(olderThan: 14 * 86_400, includeBases: true)
        #expect(result.removed == [other])
        #expect(Set(result.backing) == [first, base])
        try await Command.check(["qemu-img", "info", "--backing-chain", second])  // the whole chain still opens

        // Once the fresh snapshot is old too, the whole chain goes.
        try age(second, daysOld: 30)
        let later = try CachePruner(root: root.path).prune(olderThan: 14 * 86_400, includeBases: true)
        #expect(Set(later.removed) == [base, first, second])
    }
}
