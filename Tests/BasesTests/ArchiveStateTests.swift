// A bootstrap's cache key follows the Debian archives' InRelease files: checked against a local mirror, cached, offline-tolerant.
import Bases
import Foundation
import LabforgeRecipe
import Testing
import TestSupport

@Suite("Debian archive state", .serialized)
struct ArchiveStateTests {
    static func inRelease(suite: String, date: String, body: String = "") -> String {
        "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\nOrigin: Debian\nSuite: \(suite)\nDate: \(date)\n\(body)-----BEGIN PGP SIGNATURE-----\n"
    }

    /// A mirror and a security mirror on a local HTTP server with one InRelease per archive.
    struct Mirror {
        let server: LocalFileServer
        let work: TemporaryDirectory

        init() throws {
            server = try LocalFileServer()
            work = try TemporaryDirectory(prefix: "labforge-archive")
            try publish("debian/dists/trixie", Self.release("trixie", "Sat, 08 Nov 2025 10:23:14 UTC"))
            try publish("debian/dists/trixie-updates", Self.release("trixie-updates", "Fri, 27 Nov 2026 20:12:01 UTC"))
            try publish("debian-security/dists/trixie-security", Self.release("trixie-security", "Sat, 28 Nov 2026 09:00:00 UTC"))
        }

        static func release(_ suite: String, _ date: String) -> String { ArchiveStateTests.inRelease(suite: suite, date: date) }

        func publish(_ folder: String, _ contents: String) throws {
            let directory = server.file(folder)
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try contents.write(toFile: directory + "/InRelease", atomically: true, encoding: .utf8)
        }

        func store(policy: ArchiveCheckPolicy = ArchiveCheckPolicy()) -> BaseImageStore {
            BaseImageStore(
                cache: CacheDirectory(root: work.appending("cache")), toolVersion: "test",
                bootstrapper: DebianBootstrapper(mirror: server.url("debian"), securityMirror: server.url("debian-security")),
                archivePolicy: policy
            )
        }

        func inReleaseRequests() -> Int { server.requests().filter { $0.path.hasSuffix("/InRelease") }.count }
    }

    @Test("the key changes with any archive's InRelease digest and with nothing else of the state")
    func keyDerivation() {
        let store = BaseImageStore(cache: CacheDirectory(root: "/nonexistent"), toolVersion: "1")
        let urls = store.inReleaseURLs(for: DebianBootstrap())
        #expect(urls == [
            "http://deb.debian.org/debian/dists/trixie/InRelease",
            "http://deb.debian.org/debian/dists/trixie-updates/InRelease",
            "http://deb.debian.org/debian-security/dists/trixie-security/InRelease",
        ])
        #expect(store.inReleaseURLs(for: DebianBootstrap(suite: "sid")) == ["http://deb.debian.org/debian/dists/sid/InRelease"])
        let releases = urls.map { ArchiveState.release(url: $0, contents: Data("\($0)".utf8)) }
        let state = ArchiveState(releases: releases, checkedAt: Date(timeIntervalSince1970: 0))
        let spec = DebianBootstrap()
        let key = store.cacheKey(for: spec, archive: state)
        #expect(key.hasPrefix("debian-trixie-"))
        #expect(key != store.cacheKey(for: spec, archive: nil), "a checked archive and an unknown one differ")
        #expect(key == store.cacheKey(for: spec, archive: ArchiveState(releases: releases, checkedAt: Date())), "the check time is not keyed")
        var updated = releases
        updated[2] = ArchiveState.release(url: urls[2], contents: Data("a security fix".utf8))
        #expect(key != store.cacheKey(for: spec, archive: ArchiveState(releases: updated, checkedAt: Date(timeIntervalSince1970: 0))))
        #expect(store.cacheKey(for: DebianBootstrap(extraPackages: ["curl"]), archive: state) != key)
        // Without a record in its cache, the synchronous key is the "unknown" one.
        #expect(store.cacheKey(for: spec) == store.cacheKey(for: spec, archive: nil))
    }

    @Test("an InRelease file gives its sha256 and Date; the newest date is the archive date")
    func releaseParsing() {
        let text = Self.inRelease(suite: "trixie", date: "Sat, 08 Nov 2025 10:23:14 UTC")
        let release = ArchiveState.release(url: "u", contents: Data(text.utf8))
        #expect(release.sha256.count == 64)
        #expect(release.date == "Sat, 08 Nov 2025 10:23:14 UTC")
        let newer = ArchiveState.release(url: "v", contents: Data(Self.inRelease(suite: "trixie-security", date: "Sat, 28 Nov 2026 09:00:00 UTC").utf8))
        #expect(ArchiveState(releases: [release, newer], checkedAt: Date()).newestDate == "Sat, 28 Nov 2026 09:00:00 UTC")
        #expect(ArchiveState(releases: [release, newer], checkedAt: Date()).newestDateRFC3339 == "2026-11-28T09:00:00Z")
    }

    @Test("the mirror is asked once per interval; a published update or --refresh changes the key; an unreachable mirror falls back")
    func checkedAgainstLocalMirror() async throws {
        let mirror = try Mirror()
        defer { mirror.work.remove() }
        let spec = DebianBootstrap()
        let store = mirror.store()

        #expect(store.lastKnownArchiveState(for: spec) == nil)
        let first = try await store.checkArchive(for: spec)
        #expect(first.releases.count == 3)
        #expect(mirror.inReleaseRequests() == 3)
        #expect(first.newestDate == "Sat, 28 Nov 2026 09:00:00 UTC")
        let key = store.cacheKey(for: spec)
        #expect(key == store.cacheKey(for: spec, archive: first))
        #expect(key != store.cacheKey(for: spec, archive: nil))

        // Within the interval the record answers: no request, same key, even after Debian published.
        try mirror.publish("debian-security/dists/trixie-security", Mirror.release("trixie-security", "Sun, 29 Nov 2026 09:00:00 UTC"))
        let again = try await store.checkArchive(for: spec)
        #expect(again == first)
        #expect(mirror.inReleaseRequests() == 3)

        // After the interval the mirror is asked again and the update changes the key.
        let later = try await store.checkArchive(for: spec, now: first.checkedAt.addingTimeInterval(7 * 3600))
        #expect(mirror.inReleaseRequests() == 6)
        #expect(later.keyInput != first.keyInput)
        let updatedKey = store.cacheKey(for: spec)
        #expect(updatedKey != key)

        // --refresh asks at once.
        try mirror.publish("debian/dists/trixie-updates", Mirror.release("trixie-updates", "Sun, 29 Nov 2026 10:00:00 UTC"))
        let refreshed = try await mirror.store(policy: ArchiveCheckPolicy(refresh: true)).checkArchive(for: spec)
        #expect(mirror.inReleaseRequests() == 9)
        #expect(store.cacheKey(for: spec, archive: refreshed) != updatedKey)
        #expect(store.cacheKey(for: spec) == store.cacheKey(for: spec, archive: refreshed), "the refreshed state is recorded")

        // Mirror gone: the last known state is used (and the log says so), no error.
        mirror.server.stop()
        let offline = try await mirror.store(policy: ArchiveCheckPolicy(refresh: true)).checkArchive(for: spec)
        #expect(offline == refreshed)

        // Mirror gone and nothing recorded: an error naming the InRelease URL.
        let empty = try TemporaryDirectory(prefix: "labforge-archive-empty")
        defer { empty.remove() }
        let fresh = BaseImageStore(
            cache: CacheDirectory(root: empty.appending("cache")), toolVersion: "test",
            bootstrapper: DebianBootstrapper(mirror: mirror.server.url("debian"), securityMirror: mirror.server.url("debian-security"))
        )
        do {
            try await fresh.checkArchive(for: spec)
            Issue.record("an unreachable mirror without a record must fail")
        } catch let error as BasesError {
            #expect(error.description.contains("/debian/dists/trixie/InRelease"), "\(error)")
        }
    }
}
