// Downloads against a real local HTTP server: verified, cached, resumed, decompressed, shared.
import Bases
import Crypto
import Foundation
import LabforgeRecipe
import Testing
import TestSupport

@Suite("Upstream downloads")
struct DownloadTests {
    /// A small real qcow2 made by qemu-img, its sha256, and a fresh server + cache.
    struct Setup {
        let server: LocalFileServer
        let cache: TemporaryDirectory
        let store: BaseImageStore
        let imageBytes: Data

        init(name: String = "disk.qcow2") async throws {
            server = try LocalFileServer()
            cache = try TemporaryDirectory(prefix: "labforge-cache")
            let disk = server.file(name)
            try await Command.check(["qemu-img", "create", "-q", "-f", "qcow2", disk, "64M"])
            // Some data so the file is not just headers: a cut midway then leaves real bytes behind.
            try await Command.check(["qemu-io", "-f", "qcow2", "-c", "write -P 0x5a 0 1M", disk])
            imageBytes = try Data(contentsOf: URL(fileURLWithPath: disk))
            store = BaseImageStore(
                cache: CacheDirectory(root: cache.path), toolVersion: "test",
                downloader: Downloader(attempts: 3, initialBackoff: .milliseconds(50))
            )
        }

        func image(_ name: String, mode: String? = nil, checksum: Checksum? = nil, compression: DownloadCompression = .none,
                   format: DiskFormat = .qcow2) throws -> UpstreamImage {
            let served = try Data(contentsOf: URL(fileURLWithPath: server.file(name)))
            return UpstreamImage(
                name: name, url: server.url(name, mode: mode), checksum: checksum ?? .sha256(sha256(served)),
                format: format, compression: compression
            )
        }

        func stop() {
            server.stop()
            cache.remove()
        }
    }

    static func sha256(_ data: Data) -> String {
        SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }

    @Test("a good checksum downloads once, then comes from the cache")
    func goodChecksum() async throws {
        let setup = try await Setup()
        defer { setup.stop() }
        let image = try setup.image("disk.qcow2")
        let first = try await setup.store.resolve(.upstream(image))
        #expect(!first.wasCached)
        #expect(first.format == .qcow2)
        #expect(first.identity == image.checksum.tagged)
        #expect(try Data(contentsOf: URL(fileURLWithPath: first.path)) == setup.imageBytes)
        let info = try await Command.check(["qemu-img", "info", "--output=json", first.path]).stdout
        #expect(info.contains("\"format\": \"qcow2\""))
        // Usually one request; a slow, loaded machine may time out and retry (resuming with Range).
        let afterFirst = setup.server.requests().count
        #expect(afterFirst >= 1)

        let second = try await setup.store.resolve(.upstream(image))
        #expect(second.wasCached)
        #expect(second.path == first.path)
        #expect(setup.server.requests().count == afterFirst)  // the cache answered: no request at all
    }

    @Test("a bad checksum says expected vs got and caches nothing")
    func badChecksum() async throws {
        let setup = try await Setup()
        defer { setup.stop() }
        let wrong = String(repeating: "ab", count: 32)
        let image = try setup.image("disk.qcow2", checksum: .sha256(wrong))
        do {
            _ = try await setup.store.resolve(.upstream(image))
            Issue.record("a wrong checksum was accepted")
        } catch let error as BasesError {
            let message = error.description
            #expect(message.contains("expected sha256:\(wrong)"))
            #expect(message.contains("got sha256:\(Self.sha256(setup.imageBytes))"))
            #expect(message.contains(image.url))
        }
        let leftovers = try FileManager.default.subpathsOfDirectory(atPath: setup.cache.path)
            .filter { !$0.hasSuffix(".lock") && ($0.hasSuffix(".qcow2") || $0.hasSuffix(".download") || $0.hasSuffix(".partial")) }
        #expect(leftovers.isEmpty, "left in the cache: \(leftovers)")
    }

    @Test("a connection cut midway is resumed with a Range request")
    func resumeAfterCut() async throws {
        let setup = try await Setup()
        defer { setup.stop() }
        let image = try setup.image("disk.qcow2", mode: "cut")
        let resolved = try await setup.store.resolve(.upstream(image))
        #expect(try Data(contentsOf: URL(fileURLWithPath: resolved.path)) == setup.imageBytes)
        // One full request, then resumes only: on a starved machine a resume may itself time out and be
        // resumed again, but the file is never downloaded from the start twice.
        let requests = setup.server.requests()
        #expect(requests.count >= 2)
        #expect(requests.first?.range == nil)
        for request in requests.dropFirst() {
            let range = try #require(request.range, "a later request without Range: a full re-download")
            let start = try #require(Int(range.dropFirst("bytes=".count).split(separator: "-").first ?? ""))
            #expect(start > 0 && start < setup.imageBytes.count, "resume request: \(range)")
        }
    }

    @Test("a server that goes silent mid-body is abandoned after the idle timeout and resumed with Range")
    func resumeAfterStall() async throws {
        let setup = try await Setup()
        defer { setup.stop() }
        // The response head arrives at once: only an idle timeout on the body notices the silence that follows.
        let store = BaseImageStore(
            cache: CacheDirectory(root: setup.cache.path), toolVersion: "test",
            // 5 s of silence and 6 attempts: on a starved 2-core machine a resumed request may be slow to start too.
            downloader: Downloader(attempts: 6, initialBackoff: .milliseconds(50), readTimeout: .seconds(5), bodyIdleTimeout: .seconds(5)))
        let image = try setup.image("disk.qcow2", mode: "stall")
        let started = ContinuousClock.now
        let resolved = try await store.resolve(.upstream(image))
        #expect(ContinuousClock.now - started < .seconds(90), "waited for the stalled server instead of timing out")
        #expect(try Data(contentsOf: URL(fileURLWithPath: resolved.path)) == setup.imageBytes)
        let requests = setup.server.requests()
        #expect(requests.count >= 2)
        #expect(requests.dropFirst().allSatisfy { $0.range != nil }, "the retry started over instead of resuming")
    }

    @Test("an xz-compressed image is verified, decompressed and cached as qcow2")
    func xzCompressed() async throws {
        let setup = try await Setup()
        defer { setup.stop() }
        try await Command.check(["xz", "-k", "-T1", setup.server.file("disk.qcow2")])
        let image = try setup.image("disk.qcow2.xz", compression: .xz)
        let resolved = try await setup.store.resolve(.upstream(image))
        #expect(try Data(contentsOf: URL(fileURLWithPath: resolved.path)) == setup.imageBytes)
        #expect(resolved.identity == image.checksum.tagged)
    }

    @Test("a raw image is converted to qcow2")
    func rawConverted() async throws {
        let setup = try await Setup()
        defer { setup.stop() }
        try await Command.check(["qemu-img", "convert", "-f", "qcow2", "-O", "raw", setup.server.file("disk.qcow2"), setup.server.file("disk.raw")])
        let image = try setup.image("disk.raw", format: .raw)
        let resolved = try await setup.store.resolve(.upstream(image))
        let info = try await Command.check(["qemu-img", "info", "--output=json", resolved.path]).stdout
        #expect(info.contains("\"format\": \"qcow2\""))
        try await Command.check(["qemu-img", "compare", "-q", setup.server.file("disk.qcow2"), resolved.path])
    }

    @Test("two builds asking for the same base at once download it once")
    func concurrentBuildsShareOneDownload() async throws {
        let setup = try await Setup()
        defer { setup.stop() }
        let image = try setup.image("disk.qcow2", mode: "slow")
        let store = setup.store
        let results = try await withThrowingTaskGroup(of: ResolvedBase.self) { group in
            for _ in 0..<2 { group.addTask { try await store.resolve(.upstream(image)) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.count == 2)
        #expect(Set(results.map(\.path)).count == 1)
        #expect(results.filter { !$0.wasCached }.count == 1)
        // One download: exactly one request from the start of the file. On a starved machine the client may
        // time out and resume, but a resume carries Range and never starts over.
        let requests = setup.server.requests()
        #expect(requests.filter { $0.range == nil }.count == 1, "\(requests)")
    }

    @Test("a second process waits for the first download (CLI, two processes)")
    func concurrentProcesses() async throws {
        let setup = try await Setup()
        defer { setup.stop() }
        let image = try setup.image("disk.qcow2", mode: "slow")
        let arguments = ["base", "fetch", image.url, "--sha256", image.checksum.hex, "--cache-dir", setup.cache.path]
        async let first = Task.detached { try await Command.labforge(arguments) }.value
        async let second = Task.detached { try await Command.labforge(arguments) }.value
        let outputs = try await [first, second]
        for output in outputs { #expect(output.status == 0, "\(output.stderr)") }
        #expect(Set(outputs.map { $0.stdout.trimmingCharacters(in: .whitespacesAndNewlines) }).count == 1)
        #expect(setup.server.requests().count == 1)
    }

    @Test("a missing file is an HTTP error naming the URL")
    func notFound() async throws {
        let setup = try await Setup()
        defer { setup.stop() }
        let image = UpstreamImage(name: "missing", url: setup.server.url("missing.qcow2"), checksum: .sha256(String(repeating: "0", count: 64)))
        await #expect(throws: BasesError.self) { try await setup.store.resolve(.upstream(image)) }
    }

    @Test("a partial download that cannot be opened for writing is refused naming it and why")
    func unwritablePartialFile() async throws {
        let setup = try await Setup()
        defer { setup.stop() }
        let image = try setup.image("disk.qcow2")
        // A directory squats where the partial download goes (bases/downloads/<key>.download).
        let partial = setup.cache.path + "/bases/downloads/\(setup.store.cacheKey(for: image)).download"
        try FileManager.default.createDirectory(atPath: partial, withIntermediateDirectories: true)
        let error = await #expect(throws: BasesError.self) { try await setup.store.resolve(.upstream(image)) }
        #expect(error?.description == "cache directory \(partial) is not usable: cannot open for writing: Is a directory. Pass --cache-dir or fix its permissions.")
    }
}
