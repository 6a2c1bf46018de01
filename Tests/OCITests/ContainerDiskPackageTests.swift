// `labforge package` checked with tools nobody here wrote: skopeo, umoci, tar, qemu-img, cmp.
import Foundation
import OCI
import Testing
import TestSupport

/// Reads the single layer blob of a layout written by the packer.
func layerBlob(_ layout: String) throws -> (path: String, mediaType: String) {
    let image = try ImageLayout(path: layout)
    let manifest = try image.manifest(tag: nil).manifest
    return (image.blobPath(manifest.layers[0].digest), manifest.layers[0].mediaType)
}

/// Every file of a directory tree, relative path → bytes.
func treeContents(_ root: String) throws -> [String: Data] {
    var result: [String: Data] = [:]
    let enumerator = FileManager.default.enumerator(atPath: root)
    while let relative = enumerator?.nextObject() as? String {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: root + "/" + relative, isDirectory: &isDirectory), !isDirectory.boolValue { result[relative] = FileManager.default.contents(atPath: root + "/" + relative) }
    }
    return result
}

@Suite("labforge package")
struct ContainerDiskPackageTests {
    @Test("each compression: skopeo reads our digest, umoci unpacks one 107:107 file equal to the input", arguments: LayerCompression.allCases)
    func packagesAReadableContainerDisk(compression: LayerCompression) async throws {
        let dir = try TemporaryDirectory()
        let disk = dir.appending("lab.qcow2")
        try await DiskFixtures.makeQcow2(at: disk)
        let layout = dir.appending("layout")
        let result = try await Command.labforge([
            "package", disk, "--output", layout, "--name", "labs/debian-desktop", "--tag", "1.0", "--compression", compression.rawValue,
            "--annotation", "org.opencontainers.image.source=https://example.org/labs", "--instancetype", "u1.medium",
            "--preference", "fedora", "--json",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let summary = try JSONDecoder().decode(PackagedContainerDisk.self, from: result.stdoutData)

        // skopeo (containers/image) reads the layout and computes the same manifest digest.
        let inspect = try await Command.check(["skopeo", "inspect", "--raw", "oci:\(layout):1.0"]).stdoutData
        #expect(Digest.sha256(of: inspect) == summary.manifestDigest)
        let config = try await Command.check(["skopeo", "inspect", "--config", "oci:\(layout):1.0"]).stdout
        #expect(config.contains("INSTANCETYPE_KUBEVIRT_IO_DEFAULT_INSTANCETYPE=u1.medium"))
        #expect(config.contains("INSTANCETYPE_KUBEVIRT_IO_DEFAULT_PREFERENCE=fedora"))
        #expect(config.contains(summary.diffID.description))
        let manifest = try JSONDecoder().decode(ImageManifest.self, from: inspect)
        #expect(manifest.layers.count == 1)
        #expect(manifest.layers[0].mediaType == compression.mediaType)
        #expect(manifest.annotations?["org.opencontainers.image.source"] == "https://example.org/labs")
        #expect(manifest.annotations?["org.opencontainers.image.version"] == "1.0")
        #expect(manifest.annotations?["org.opencontainers.image.created"] == "1970-01-01T00:00:00Z")
        #expect(manifest.annotations?[AnnotationKey.diskVirtualSize] == String(256 << 20))

        // The uncompressed layer hashes to the diff_id, and GNU tar sees exactly disk/ and disk/disk.img.
        let blob = try layerBlob(layout).path
        let decompress: [String] = switch compression {
        case .gzip: ["gzip", "-dc", blob]
        case .zstd: ["zstd", "-dc", blob]
        case .none: ["cat", blob]
        }
        let tarBytes = try await Command.check(decompress).stdoutData
        #expect(Digest.sha256(of: tarBytes) == summary.diffID)
        try tarBytes.write(to: dir.url.appendingPathComponent("layer.tar"))
        let listing = try await Command.check(["tar", "--numeric-owner", "-tvf", dir.appending("layer.tar")]).stdout
            .split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true) }
        #expect(listing.count == 2)
        #expect(listing.map { String($0[0]) } == ["dr-xr-xr-x", "-r--r--r--"])
        #expect(listing.map { String($0[1]) } == ["107/107", "107/107"])
        #expect(listing.map { String($0.last!) } == ["disk/", "disk/disk.img"])

        // umoci unpacks it as a container runtime would (Debian 12's umoci 0.4 reads gzip and plain
        // layers, not zstd; for zstd GNU tar extracts it); the disk is the input, byte for byte.
        let rootfs: String
        if compression == .zstd {
            rootfs = dir.appending("rootfs")
            try FileManager.default.createDirectory(atPath: rootfs, withIntermediateDirectories: true)
            try await Command.check(["tar", "--same-owner", "-xpf", dir.appending("layer.tar"), "-C", rootfs])
        } else {
            let bundle = dir.appending("bundle")
            try await Command.check(["umoci", "unpack", "--image", "\(layout):1.0", bundle])
            rootfs = bundle + "/rootfs"
        }
        let unpacked = rootfs + "/disk/disk.img"
        let attributes = try FileManager.default.attributesOfItem(atPath: unpacked)
        #expect(attributes[.ownerAccountID] as? Int == 107)
        #expect(attributes[.groupOwnerAccountID] as? Int == 107)
        #expect(attributes[.posixPermissions] as? Int == 0o444)
        #expect(try FileManager.default.contentsOfDirectory(atPath: rootfs + "/disk") == ["disk.img"])
        try await Command.check(["cmp", disk, unpacked])
        let info = try await Command.check(["qemu-img", "info", "--output=json", unpacked]).stdout
        #expect(info.contains(#""format": "qcow2""#))
        #expect(!info.contains("backing-filename"))
    }

    @Test("same disk, options and SOURCE_DATE_EPOCH give byte-identical layouts; created follows the epoch")
    func reproducible() async throws {
        let dir = try TemporaryDirectory()
        let disk = dir.appending("lab.qcow2")
        try await DiskFixtures.makeQcow2(at: disk)
        for run in ["a", "b"] {
            try await Command.check(["env", "SOURCE_DATE_EPOCH=1764072000", Command.labforgeBinary, "package", disk, "-o", dir.appending(run), "--name", "labs/r", "--tag", "1"])
        }
        let first = try treeContents(dir.appending("a"))
        #expect(first.count == 5)  // oci-layout, index.json, manifest, config, layer
        #expect(first == (try treeContents(dir.appending("b"))))
        let config = try await Command.check(["skopeo", "inspect", "--config", "oci:\(dir.appending("a")):1"]).stdout
        #expect(config.contains("2025-11-25T12:00:00Z"))
    }

    @Test("a sparse raw disk over 8 GiB gets a pax size record and the tar size it needs")
    func largeSparseRawDiskUsesPax() async throws {
        let dir = try TemporaryDirectory()
        let disk = dir.appending("big.raw")
        let size: Int64 = 9 << 30
        try await Command.check(["truncate", "-s", String(size), disk])
        try await Command.check(["qemu-io", "-f", "raw", "-c", "write -q -P 0x42 8G 1M", disk])
        let layout = dir.appending("layout")
        // A data disk: no partition table, no file system at its start.
        let result = try await Command.labforge(["package", disk, "-o", layout, "--name", "labs/big", "--tag", "1", "--compression", "zstd", "--json", "--allow-blank"])
        #expect(result.status == 0, "\(result.stderr)")
        let summary = try JSONDecoder().decode(PackagedContainerDisk.self, from: result.stdoutData)
        #expect(summary.diskSize == size)
        #expect(summary.virtualSize == size)
        // ustar headers hold at most 8 GiB - 1; the disk entry must be preceded by a pax header with size=.
        let head = try await Command.check(["sh", "-c", "zstd -dc '\(try layerBlob(layout).path)' | head -c 4096"]).stdoutData
        let text = String(decoding: head, as: UTF8.self)
        #expect(text.contains("size=\(size)"))
        #expect(head[512 + 156] == UInt8(ascii: "x"))  // typeflag of the second header: pax extended header
        #expect(summary.uncompressedSize == 512 * 2 + 512 + 512 + size + 1024)  // dir, pax header + record, file header, data, end
    }
}
