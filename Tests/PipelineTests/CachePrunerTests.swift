// `labforge cache prune`: old finished disks and snapshots go, recent ones and those a build holds stay.
import Bases
import Foundation
import Pipeline
import Testing
import TestSupport

@Suite("cache prune")
struct CachePrunerTests {
    func make(_ path: String, bytes: Int, daysOld: Double) throws {
        try Data(count: bytes).write(to: URL(fileURLWithPath: path))
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
        let lock = try await FileLock.acquire(images + "/busy.lock")
        defer { lock.release() }

        let result = CachePruner(root: root.path).prune(olderThan: 14 * 86_400)
        #expect(Set(result.removed) == [images + "/old.qcow2", images + "/old.verification.json", snapshots + "/stale.qcow2"])
        #expect(result.inUse == [images + "/busy.qcow2"])
        #expect(result.freedBytes >= 65_536)
        #expect(FileManager.default.fileExists(atPath: images + "/fresh.qcow2"))
        #expect(FileManager.default.fileExists(atPath: bases + "/debian.qcow2"), "bases stay unless asked")

        let everything = CachePruner(root: root.path).prune(olderThan: 0, includeBases: true)
        #expect(everything.removed.contains(bases + "/debian.qcow2") && everything.removed.contains(images + "/fresh.qcow2"))
        #expect(everything.inUse == [images + "/busy.qcow2"])
    }
}
