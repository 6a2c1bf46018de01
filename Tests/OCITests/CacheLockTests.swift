// The one lock rule of the cache (DiskImage's FileLock / CacheLocks): users share, a writer or pruner excludes,
// a writer turns into a user without a window, and an entry is made at most once however many ask at once.
import DiskImage
import Foundation
import Testing
import TestSupport

@Suite("cache locks")
struct CacheLockTests {
    @Test("shared holders coexist; exclusive waits for all of them; a downgrade lets users in at once")
    func sharedAndExclusive() async throws {
        let root = try TemporaryDirectory()
        let locks = CacheLocks(root: root.path)
        let first = try await locks.use("entry")
        let second = try await locks.use("entry")
        #expect(try locks.ownIfFree("entry") == nil, "a used entry cannot be taken exclusive")
        first.release()
        #expect(try locks.ownIfFree("entry") == nil)
        second.release()
        let owner = try #require(try locks.ownIfFree("entry"))
        #expect(try FileLock.attempt(locks.path("entry"), mode: .shared) == nil, "a user waits while the entry is written")
        owner.downgrade()
        let user = try #require(try FileLock.attempt(locks.path("entry"), mode: .shared))
        #expect(try locks.ownIfFree("entry") == nil, "the maker still uses it after the downgrade")
        user.release()
        owner.release()
        #expect(CacheLocks.key(ofEntry: ".debian-trixie-0123.C0FFEE.partial") == "debian-trixie-0123")
        #expect(CacheLocks.key(ofEntry: "abc.verification.json") == "abc")
    }

    @Test("entry(): made once by one of many concurrent callers, every caller leaves holding it shared")
    func entryIsMadeOnce() async throws {
        let root = try TemporaryDirectory()
        let locks = CacheLocks(root: root.path)
        let file = root.appending("made")
        let results = try await withThrowingTaskGroup(of: (FileLock, Bool).self) { group in
            for _ in 0..<4 {
                group.addTask {
                    try await locks.entry("made", exists: { FileManager.default.fileExists(atPath: file) }) {
                        try await Task.sleep(nanoseconds: 100_000_000)
                        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
                    }
                }
            }
            var results: [(FileLock, Bool)] = []
            for try await result in group { results.append(result) }
            return results
        }
        #expect(results.filter(\.1).count == 1)
        #expect(results.allSatisfy { $0.0.mode == .shared })
        #expect(try locks.ownIfFree("made") == nil)
        for (lock, _) in results { lock.release() }
        #expect(try locks.ownIfFree("made") != nil)
    }
}
