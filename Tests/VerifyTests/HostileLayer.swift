// Real tar layers with whatever entries a test asks for (Python's tarfile writes them), and OCI layouts made of them.
import Foundation
import OCI
import TestSupport
import Verify

/// One tar entry as a hostile (or ordinary) layer holds it.
struct LayerEntry: Codable, Sendable {
    enum Kind: String, Codable, Sendable { case file, directory, symlink, hardlink, character, block, fifo }
    var name: String
    var kind: Kind = .file
    /// File contents.
    var data: String = ""
    /// Symbolic or hard link target.
    var link: String = ""
    var mode: Int = 0o644
    var uid: Int = 0
    var gid: Int = 0

    static func file(_ name: String, _ data: String = "x\n", mode: Int = 0o644, uid: Int = 0, gid: Int = 0) -> LayerEntry {
        LayerEntry(name: name, kind: .file, data: data, mode: mode, uid: uid, gid: gid)
    }
    static func directory(_ name: String, uid: Int = 0) -> LayerEntry { LayerEntry(name: name, kind: .directory, mode: 0o755, uid: uid, gid: uid) }
    static func symlink(_ name: String, to target: String) -> LayerEntry { LayerEntry(name: name, kind: .symlink, link: target, mode: 0o777) }
    static func hardlink(_ name: String, to target: String) -> LayerEntry { LayerEntry(name: name, kind: .hardlink, link: target) }
    static func device(_ name: String, block: Bool = false) -> LayerEntry { LayerEntry(name: name, kind: block ? .block : .character, mode: 0o666) }
}

enum HostileLayer {
    /// Writes a pax tar holding `entries` exactly as given (no name is cleaned up) to `path`.
    static func tar(_ entries: [LayerEntry], at path: String) async throws {
        let script = """
            import json, sys, tarfile, io
            kinds = {"file": tarfile.REGTYPE, "directory": tarfile.DIRTYPE, "symlink": tarfile.SYMTYPE, "hardlink": tarfile.LNKTYPE,
                     "character": tarfile.CHRTYPE, "block": tarfile.BLKTYPE, "fifo": tarfile.FIFOTYPE}
            with tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT) as tar:
                for e in json.load(sys.stdin):
                    info = tarfile.TarInfo(e["name"])
                    info.type = kinds[e["kind"]]
                    info.mode, info.uid, info.gid, info.mtime = e["mode"], e["uid"], e["gid"], 1700000000
                    info.linkname = e["link"]
                    if info.type in (tarfile.CHRTYPE, tarfile.BLKTYPE):
                        info.devmajor, info.devminor = 1, 3
                    data = e["data"].encode()
                    info.size = len(data) if info.type == tarfile.REGTYPE else 0
                    tar.addfile(info, io.BytesIO(data) if info.size else None)
            """
        try await Command.check(["python3", "-c", script, path], input: try JSONEncoder().encode(entries))
    }

    /// An OCI layout of gzip layers, one per entry list, running `entrypoint` as 1000:1000 with a web-terminal probe
    /// label (so `labforge verify --image` needs no more arguments).
    static func layout(_ layers: [[LayerEntry]], entrypoint: [String] = ["/bin/true"], in directory: TemporaryDirectory) async throws -> (path: String, layers: [Digest]) {
        let path = directory.appending("oci-\(UUID().uuidString.prefix(6))")
        let blobs = path + "/blobs/sha256"
        try FileManager.default.createDirectory(atPath: blobs, withIntermediateDirectories: true)
        func store(_ data: Data) throws -> Digest {
            let digest = Digest.sha256(of: data)
            try data.write(to: URL(fileURLWithPath: blobs + "/" + digest.hex))
            return digest
        }
        var descriptors: [Descriptor] = []
        var diffIDs: [Digest] = []
        for entries in layers {
            let tarPath = directory.appending("layer-\(UUID().uuidString.prefix(6)).tar")
            try await tar(entries, at: tarPath)
            let raw = try Data(contentsOf: URL(fileURLWithPath: tarPath))
            let compressed = try await Command.check(["gzip", "-n", "-c", tarPath]).stdoutData
            descriptors.append(Descriptor(mediaType: MediaType.layerTarGzip, digest: try store(compressed), size: Int64(compressed.count)))
            diffIDs.append(Digest.sha256(of: raw))
        }
        let config = ImageConfig(
            created: "2026-01-01T00:00:00Z", architecture: "amd64",
            config: ImageConfig.Execution(
                User: "1000:1000", Env: ["PATH=/usr/bin:/bin"], Entrypoint: entrypoint, WorkingDir: "/",
                Labels: [ImageVerifier.probesLabel: "web-terminal:7681/ws", ImageVerifier.userLabel: "student"]),
            rootfs: .init(diffIDs: diffIDs), history: nil)
        let configData = try CanonicalJSON.encode(config)
        let configDescriptor = Descriptor(mediaType: MediaType.imageConfig, digest: try store(configData), size: Int64(configData.count))
        let manifestData = try CanonicalJSON.encode(ImageManifest(config: configDescriptor, layers: descriptors))
        let manifest = Descriptor(
            mediaType: MediaType.imageManifest, digest: try store(manifestData), size: Int64(manifestData.count),
            annotations: [AnnotationKey.refName: "1.0"])
        try CanonicalJSON.encode(ImageIndex(manifests: [manifest])).write(to: URL(fileURLWithPath: path + "/index.json"))
        try ImageLayout.layoutFileContents.write(to: URL(fileURLWithPath: path + "/oci-layout"))
        return (path, descriptors.map(\.digest))
    }
}
