// Base disks that would read another host file are refused whether downloaded or local; the cache is private.
import Bases
import DiskImage
import Foundation
import LabforgeRecipe
import Testing
import TestSupport

@Suite("base disk hardening")
struct LocalBaseTests {
    static func mode(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path)[.posixPermissions]) as? Int ?? -1) & 0o7777
    }

    /// A store with its own cache, and a "host secret" any backing file could point at.
    struct Setup {
        let work: TemporaryDirectory
        let store: BaseImageStore
        let secret: String

        init() throws {
            work = try TemporaryDirectory(prefix: "labforge-base")
            store = BaseImageStore(cache: CacheDirectory(root: work.appending("cache")), toolVersion: "test")
            secret = work.appending("host-secret.raw")
            try Data(repeating: 0x42, count: 1 << 20).write(to: URL(fileURLWithPath: secret))
        }
    }

    @Test("a local qcow2 with a backing file is refused, naming the file and its backing file")
    func localBackingFile() async throws {
        let setup = try Setup()
        let top = setup.work.appending("top.qcow2")
        try await Command.check(["qemu-img", "create", "-q", "-f", "qcow2", "-b", setup.secret, "-F", "raw", top])
        let error = try await #require(throws: BasesError.self) { try await setup.store.resolve(.localFile(path: top, format: .qcow2)) }
        guard case .unusableDisk(.baseReadsHostFile(let path, let file)) = error else {
            Issue.record("expected baseReadsHostFile, got \(error)")
            return
        }
        #expect(path == top && file == setup.secret)
        #expect(error.description.contains(top) && error.description.contains(setup.secret), "\(error)")
        #expect(error.description.contains("qemu-img convert"), "says what to do")
    }

    @Test("a downloaded qcow2 with a backing file gets the same refusal")
    func downloadedBackingFile() async throws {
        let setup = try Setup()
        let server = try LocalFileServer()
        defer { server.stop() }
        let served = server.file("top.qcow2")
        try await Command.check(["qemu-img", "create", "-q", "-f", "qcow2", "-b", setup.secret, "-F", "raw", served])
        let bytes = try Data(contentsOf: URL(fileURLWithPath: served))
        let image = UpstreamImage(name: "top", url: server.url("top.qcow2"), checksum: .sha256(DownloadTests.sha256(bytes)))
        let error = try await #require(throws: BasesError.self) { try await setup.store.resolve(.upstream(image)) }
        guard case .unusableDisk(.baseReadsHostFile(_, let file)) = error else {
            Issue.record("expected baseReadsHostFile, got \(error)")
            return
        }
        #expect(file == setup.secret)
    }

    @Test("external data files, VMDK extents elsewhere and a wrong declared format are refused too")
    func otherHostFileReads() async throws {
        let setup = try Setup()
        let withDataFile = setup.work.appending("data.qcow2")
        try await Command.check(["qemu-img", "create", "-q", "-f", "qcow2", "-o", "data_file=\(setup.work.appending("data.raw"))", withDataFile, "1M"])
        await #expect(throws: BasesError.self) { try await setup.store.resolve(.localFile(path: withDataFile, format: .qcow2)) }

        let flat = setup.work.appending("flat.vmdk")
        try await Command.check(["qemu-img", "create", "-q", "-f", "vmdk", "-o", "subformat=monolithicFlat", flat, "1M"])
        await #expect(throws: BasesError.self) { try await setup.store.resolve(.localFile(path: flat, format: .vmdk)) }

        // Declared raw but really a qcow2: the customizer would probe it as qcow2, so the declaration is held to.
        let plain = setup.work.appending("plain.qcow2")
        try await Command.check(["qemu-img", "create", "-q", "-f", "qcow2", plain, "1M"])
        let error = try await #require(throws: BasesError.self) { try await setup.store.resolve(.localFile(path: plain, format: .raw)) }
        guard case .unusableDisk(.formatMismatch(_, "raw", "qcow2")) = error else {
            Issue.record("expected formatMismatch, got \(error)")
            return
        }
        let resolved = try await setup.store.resolve(.localFile(path: plain, format: .qcow2))
        #expect(resolved.path == plain)
    }

    @Test("the cache is created 0700; wider directories an older run left are tightened; an existing root is left")
    func cacheModes() throws {
        let work = try TemporaryDirectory(prefix: "labforge-cache-modes")
        let fresh = CacheDirectory(root: work.appending("new/cache"))
        try fresh.prepare()
        for path in [fresh.root, fresh.root + "/bases", fresh.root + "/bases/images", fresh.root + "/bases/downloads", fresh.root + "/locks"] {
            #expect(Self.mode(path) == 0o700, "\(path)")
        }
        let existingRoot = work.appending("shared")
        try FileManager.default.createDirectory(atPath: existingRoot + "/bases/images", withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: existingRoot)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: existingRoot + "/bases")
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: existingRoot + "/bases/images")
        try CacheDirectory(root: existingRoot).prepare()
        #expect(Self.mode(existingRoot) == 0o755, "a root that existed may be a shared parent: left alone")
        #expect(Self.mode(existingRoot + "/bases") == 0o700)
        #expect(Self.mode(existingRoot + "/bases/images") == 0o700)
    }

    @Test("a cached base is read-only and not readable by other users; a copy out of the cache is 0640")
    func cachedBaseMode() async throws {
        let setup = try Setup()
        let server = try LocalFileServer()
        defer { server.stop() }
        let served = server.file("disk.qcow2")
        try await Command.check(["qemu-img", "create", "-q", "-f", "qcow2", served, "1M"])
        let bytes = try Data(contentsOf: URL(fileURLWithPath: served))
        let image = UpstreamImage(name: "disk", url: server.url("disk.qcow2"), checksum: .sha256(DownloadTests.sha256(bytes)))
        let resolved = try await setup.store.resolve(.upstream(image))
        #expect(Self.mode(resolved.path) == Int(FileAccess.readOnlyDiskFileMode))
        #expect(Self.mode(URL(fileURLWithPath: resolved.path).deletingLastPathComponent().path) == 0o700)
        // A copy handed out (`labforge base … --output`) is writable by its owner, still not world-readable.
        let copy = setup.work.appending("copy.qcow2")
        try await resolved.copy(to: copy)
        #expect(Self.mode(copy) == Int(FileAccess.diskFileMode))
    }
}
