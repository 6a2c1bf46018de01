// The layer extractor against hostile tar layers written by Python's tarfile: each trick refused by name, nothing
// written outside the root; OCI whiteouts applied; owners shifted.
import Archive
import Foundation
import Testing
import TestSupport

@Suite("Layer extraction")
struct LayerExtractorTests {
    /// A root to extract into, a host directory beside it that must stay untouched, and the layers written so far.
    final class Scene: @unchecked Sendable {
        let directory: TemporaryDirectory
        let root: String
        let outside: String
        let extractor: LayerExtractor

        init(shift: Int64 = 0) throws {
            directory = try TemporaryDirectory(prefix: "labforge-layers")
            root = directory.appending("root")
            outside = directory.appending("host-dir")
            for path in [root, outside] { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }
            extractor = try LayerExtractor(root: root, idShift: shift)
        }

        /// Writes the entries as a layer (plain tar, or compressed) and extracts it.
        @discardableResult
        func apply(_ entries: [LayerEntry], name: String, compression: LayerStreamCompression = .none) async throws -> LayerExtractionFacts {
            let tar = directory.appending("\(name).tar")
            try await HostileLayer.tar(entries, at: tar)
            var blob = tar
            switch compression {
            case .none: break
            case .gzip: try await Command.check(["gzip", "-n", "-k", tar]); blob = tar + ".gz"
            case .zstd: try await Command.check(["zstd", "-q", "-k", tar, "-o", tar + ".zst"]); blob = tar + ".zst"
            }
            return try extractor.extract(blob: blob, layer: name, compression: compression)
        }

        /// The refusal `entries` meet, or nil when they were extracted.
        func refusal(_ entries: [LayerEntry], name: String) async throws -> LayerExtractionError? {
            do {
                try await apply(entries, name: name)
                return nil
            } catch let error as LayerExtractionError {
                return error
            }
        }

        func exists(_ path: String) -> Bool {
            var info = stat()
            return lstat(path, &info) == 0
        }
    }

    @Test("a symlink left by one layer is not followed by the next: nothing is created at its target, the error names layer and entry")
    func symlinkEscapeAcrossLayers() async throws {
        let scene = try Scene()
        try await scene.apply([.directory("etc/"), .symlink("etc/escape", to: scene.outside)], name: "sha256:layer-one")
        let error = try await scene.refusal([.file("etc/escape/pwned", "owned\n")], name: "sha256:layer-two")
        #expect(error == .refused(layer: "sha256:layer-two", entry: "etc/escape/pwned", reason: .throughSymlink(parent: "etc/escape", target: scene.outside)))
        #expect("\(error!)".contains("layer sha256:layer-two: entry etc/escape/pwned refused: its parent etc/escape is a symbolic link"))
        #expect(!scene.exists(scene.outside + "/pwned"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: scene.outside).isEmpty)
        // The link itself is fine inside the image (it resolves inside the chroot).
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: scene.root + "/etc/escape") == scene.outside)
    }

    @Test("the same trick inside one layer is refused too")
    func symlinkEscapeInOneLayer() async throws {
        let scene = try Scene()
        let error = try await scene.refusal([.symlink("a", to: scene.outside), .file("a/pwned")], name: "sha256:one")
        #expect(error == .refused(layer: "sha256:one", entry: "a/pwned", reason: .throughSymlink(parent: "a", target: scene.outside)))
        #expect(!scene.exists(scene.outside + "/pwned"))
    }

    @Test("an entry climbing out with .. is refused and nothing lands outside", arguments: ["../host-dir/pwned", "etc/../../host-dir/pwned", "./../host-dir/pwned"])
    func dotDot(name: String) async throws {
        let scene = try Scene()
        let error = try await scene.refusal([.file(name)], name: "sha256:dotdot")
        #expect(error == .refused(layer: "sha256:dotdot", entry: name, reason: .parentReference))
        #expect(!scene.exists(scene.outside + "/pwned"))
    }

    @Test("an absolute entry name is refused and nothing is written at that path")
    func absolutePath() async throws {
        let scene = try Scene()
        let target = scene.outside + "/absolute"
        let error = try await scene.refusal([.file(target)], name: "sha256:absolute")
        #expect(error == .refused(layer: "sha256:absolute", entry: target, reason: .absolutePath))
        #expect(!scene.exists(target))
        #expect(!scene.exists(scene.root + target))
    }

    @Test("device nodes, FIFOs and setuid files are refused", arguments: [
        (LayerEntry.device("dev/mem"), LayerEntryRefusal.deviceNode(kind: "character")),
        (LayerEntry.device("dev/sda", block: true), LayerEntryRefusal.deviceNode(kind: "block")),
        (LayerEntry(name: "run/pipe", kind: .fifo), LayerEntryRefusal.specialFile(kind: "FIFO")),
        (LayerEntry.file("usr/bin/su", mode: 0o4755), LayerEntryRefusal.setuid(mode: 0o4755)),
        (LayerEntry.file("usr/bin/wall", mode: 0o2755), LayerEntryRefusal.setuid(mode: 0o2755)),
    ])
    func specialEntries(entry: LayerEntry, reason: LayerEntryRefusal) async throws {
        let scene = try Scene()
        let error = try await scene.refusal([entry], name: "sha256:special")
        #expect(error == .refused(layer: "sha256:special", entry: entry.name, reason: reason))
        #expect(!scene.exists(scene.root + "/" + entry.name))
    }

    @Test("a hard link out of the root, or through a link, or to a link, is refused")
    func hardLinks() async throws {
        let scene = try Scene()
        try "host secret\n".write(toFile: scene.outside + "/secret", atomically: true, encoding: .utf8)
        for target in [scene.outside + "/secret", "../host-dir/secret"] {
            let error = try await scene.refusal([.hardlink("stolen", to: target)], name: "sha256:hardlink")
            #expect(error == .refused(layer: "sha256:hardlink", entry: "stolen", reason: .hardLinkOutside(target: target)))
        }
        try await scene.apply([.symlink("host", to: scene.outside)], name: "sha256:link")
        let through = try await scene.refusal([.hardlink("stolen", to: "host/secret")], name: "sha256:through")
        #expect(through == .refused(layer: "sha256:through", entry: "stolen", reason: .throughSymlink(parent: "host", target: scene.outside)))
        let toLink = try await scene.refusal([.hardlink("stolen", to: "host")], name: "sha256:tolink")
        #expect(toLink == .refused(layer: "sha256:tolink", entry: "stolen", reason: .hardLinkTarget(target: "host", found: "a symbolic link")))
        #expect(!scene.exists(scene.root + "/stolen"))
        var info = stat()
        #expect(stat(scene.outside + "/secret", &info) == 0 && info.st_nlink == 1)
        // A hard link between two files of the image is what RootTreeLayer writes: kept.
        try await scene.apply([.file("usr/bin/a", "same\n"), .hardlink("usr/bin/b", to: "usr/bin/a")], name: "sha256:inside")
        #expect(stat(scene.root + "/usr/bin/b", &info) == 0 && info.st_nlink == 2)
    }

    @Test("owners are shifted into the container's range; ids the namespace does not map are refused")
    func ownersShifted() async throws {
        let scene = try Scene(shift: 0x6FFF_0000)
        try await scene.apply([.directory("home/student/", uid: 1000), .file("home/student/notes", uid: 1000, gid: 1000), .file("etc/hostname")], name: "sha256:owners")
        var info = stat()
        #expect(stat(scene.root + "/home/student/notes", &info) == 0 && info.st_uid == 0x6FFF_0000 + 1000 && info.st_gid == 0x6FFF_0000 + 1000)
        #expect(stat(scene.root + "/etc/hostname", &info) == 0 && info.st_uid == 0x6FFF_0000)
        let error = try await scene.refusal([.file("big", uid: 70000, gid: 0)], name: "sha256:big")
        #expect(error == .refused(layer: "sha256:big", entry: "big", reason: .ownerOutOfRange(uid: 70000, gid: 0, limit: 65536)))
    }

    @Test("OCI whiteouts remove what lower layers wrote, opaque directories empty them, neither touches the same layer")
    func whiteouts() async throws {
        let scene = try Scene()
        try await scene.apply([
            .directory("a/"), .file("a/gone"), .file("a/kept"), .directory("d/"), .file("d/old"), .directory("d/sub/"), .file("d/sub/old"),
        ], name: "sha256:lower")
        let facts = try await scene.apply([
            .file("a/.wh.gone"), .file("d/new"), .file("d/sub/new"), .file("d/.wh..wh..opq"), .file("a/fresh"), .file("a/.wh.fresh"),
        ], name: "sha256:upper", compression: .gzip)
        #expect(facts.whiteouts == 3)
        #expect(!scene.exists(scene.root + "/a/gone"))
        #expect(scene.exists(scene.root + "/a/kept"))
        #expect(scene.exists(scene.root + "/a/fresh"), "a whiteout hides lower layers only")
        #expect(try FileManager.default.contentsOfDirectory(atPath: scene.root + "/d").sorted() == ["new", "sub"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: scene.root + "/d/sub") == ["new"])
        #expect(!scene.exists(scene.root + "/a/.wh.gone") && !scene.exists(scene.root + "/d/.wh..wh..opq"))
        // Removing a link removes the link: what it points at on the host stays.
        try "host\n".write(toFile: scene.outside + "/kept", atomically: true, encoding: .utf8)
        try await scene.apply([.directory("e/"), .symlink("e/host", to: scene.outside), .symlink("f", to: scene.outside)], name: "sha256:links")
        try await scene.apply([.file("e/.wh..wh..opq"), .file(".wh.f")], name: "sha256:hide-links")
        #expect(!scene.exists(scene.root + "/e/host") && !scene.exists(scene.root + "/f"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: scene.outside) == ["kept"])
        let error = try await scene.refusal([.file("a/.wh..wh..plnk")], name: "sha256:bad")
        #expect(error == .refused(layer: "sha256:bad", entry: "a/.wh..wh..plnk", reason: .whiteoutName(".wh..wh..plnk")))
    }

    @Test("a zstd layer streams like the others; a blob that is not its media type's compression is unreadable")
    func compression() async throws {
        let scene = try Scene()
        try await scene.apply([.file("etc/zstd", "z\n")], name: "sha256:zstd", compression: .zstd)
        #expect(try String(contentsOfFile: scene.root + "/etc/zstd", encoding: .utf8) == "z\n")
        let tar = scene.directory.appending("plain.tar")
        try await HostileLayer.tar([.file("etc/plain")], at: tar)
        #expect(throws: LayerExtractionError.unreadable(layer: "sha256:plain", message: "its media type says gzip, the bytes are uncompressed")) {
            try scene.extractor.extract(blob: tar, layer: "sha256:plain", compression: .gzip)
        }
        #expect(!scene.exists(scene.root + "/etc/plain"))
    }

    @Test("layers that unpack past the budget (a decompression bomb) are refused before the entry that would pass it is written")
    func unpackBudget() async throws {
        let scene = try Scene()
        let bounded = try LayerExtractor(root: scene.root, maxUnpackedBytes: 1 << 20)
        let small = scene.directory.appending("small.tar")
        try await HostileLayer.tar([.file("etc/small", String(repeating: "a", count: 600_000))], at: small)
        let facts = try bounded.extract(blob: small, layer: "sha256:small", compression: .none)
        #expect(facts.bytes == 600_000)
        // A second layer of the same size passes the budget only counted together with the first.
        let second = scene.directory.appending("second.tar")
        try await HostileLayer.tar([.file("etc/second", String(repeating: "b", count: 600_000))], at: second)
        #expect(throws: LayerExtractionError.tooLarge(layer: "sha256:second", entry: "etc/second", limit: 1 << 20)) {
            try bounded.extract(blob: second, layer: "sha256:second", compression: .none, unpackedBefore: facts.bytes)
        }
        #expect(!scene.exists(scene.root + "/etc/second"))
        // 8 MiB of one byte compress to a few KiB: the declared size is what counts.
        let bomb = scene.directory.appending("bomb.tar")
        try await HostileLayer.tar([.file("zeros", String(repeating: "0", count: 8 << 20))], at: bomb)
        try await Command.check(["gzip", "-n", "-k", bomb])
        #expect(throws: LayerExtractionError.tooLarge(layer: "sha256:bomb", entry: "zeros", limit: 1 << 20)) {
            try bounded.extract(blob: bomb + ".gz", layer: "sha256:bomb", compression: .gzip)
        }
        #expect(!scene.exists(scene.root + "/zeros"))
    }
}
