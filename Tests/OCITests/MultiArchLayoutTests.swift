// Per-architecture containerDisks and the image index over them, read back by skopeo (containers/image).
import Foundation
import OCI
import Testing
import TestSupport

@Suite("multi-architecture layouts")
struct MultiArchLayoutTests {
    struct ConfigPlatform: Decodable {
        var architecture: String
        var os: String
    }

    @Test("the image's architecture is written in the config and the index entry: amd64 by default, arm64 when asked")
    func architectureInConfig() async throws {
        let dir = try TemporaryDirectory()
        let disk = dir.appending("lab.qcow2")
        try await DiskFixtures.makeQcow2(at: disk, virtualSize: "96M", randomMiB: 1)
        for architecture in ["amd64", "arm64"] {
            let layout = dir.appending(architecture)
            var options = ContainerDiskOptions(name: try RepositoryName("labs/lab"), tag: try Tag("1.0"))
            if architecture == "arm64" { options.architecture = "arm64" }
            _ = try ContainerDiskPacker().package(disk: disk, into: layout, options: options)
            let config = try JSONDecoder().decode(
                ConfigPlatform.self, from: try await Command.check(["skopeo", "inspect", "--config", "oci:\(layout):1.0"]).stdoutData)
            #expect(config.architecture == architecture && config.os == "linux")
            #expect(try ImageLayout(path: layout).index.manifests.first?.platform == Platform(architecture: architecture))
        }
        // The CLI: `--arch arm64`; a kernel machine name is refused with the OCI name.
        let cli = dir.appending("cli")
        let packed = try await Command.labforge(["package", disk, "-o", cli, "--name", "labs/lab", "--tag", "1.0", "--arch", "arm64"])
        #expect(packed.status == 0, "\(packed.stderr)")
        #expect(try await Command.check(["skopeo", "inspect", "--config", "oci:\(cli):1.0"]).stdout.contains(#""architecture": "arm64""#))
        let refused = try await Command.labforge(["package", disk, "-o", dir.appending("refused"), "--name", "labs/lab", "--tag", "1.0", "--arch", "aarch64"])
        #expect(refused.status != 0 && refused.stderr.contains("OCI names it arm64"), "\(refused.stderr)")
    }

    @Test("one tagged index over both manifests, amd64 first whatever the input order, byte-stable, blobs hard-linked; skopeo reads it and copies arm64 alone")
    func indexLayout() async throws {
        let dir = try TemporaryDirectory()
        let multi = try await MultiArchContainerDisk.write(in: dir)
        let out = multi.index.layout
        let layout = try ImageLayout(path: out)

        // index.json: one entry, the index, tagged like a single-architecture layout.
        #expect(layout.index.manifests.count == 1)
        let top = try #require(layout.index.manifests.first)
        #expect(top.mediaType == MediaType.imageIndex && top.annotations == [AnnotationKey.refName: "1.0"] && top == {
            var tagged = multi.index.index
            tagged.annotations = [AnnotationKey.refName: "1.0"]
            return tagged
        }())
        // The index blob: amd64 then arm64, each with its platform and its manifest's annotations.
        let index = try layout.imageIndex(top).index
        #expect(index.manifests.map(\.platform) == [Platform(architecture: "amd64"), Platform(architecture: "arm64")])
        #expect(index.manifests.map(\.digest) == [multi.packed["amd64"]!.manifestDigest, multi.packed["arm64"]!.manifestDigest])
        #expect(index.manifests[1].annotations?[AnnotationKey.firmware] == "uefi")
        #expect(index.annotations == [AnnotationKey.version: "1.0"])
        #expect(try layout.platformImages(tag: "1.0").map(\.platform.architecture) == ["amd64", "arm64"])

        // Blobs are the packer's files, linked (same inode), not rewritten.
        for architecture in ["amd64", "arm64"] {
            let layer = try #require(multi.packed[architecture]).layerDigest
            let source = try FileManager.default.attributesOfItem(atPath: try ImageLayout(path: dir.appending(architecture)).blobPath(layer))
            let linked = try FileManager.default.attributesOfItem(atPath: layout.blobPath(layer))
            #expect(source[.systemFileNumber] as? Int == linked[.systemFileNumber] as? Int)
        }

        // The same inputs in the other order give the same bytes.
        let again = try MultiArchLayout.write(
            images: [dir.appending("amd64"), dir.appending("arm64")], into: dir.appending("again"), tag: try Tag("1.0"),
            annotations: [AnnotationKey.version: "1.0"])
        #expect(again.index == multi.index.index && again.manifests == multi.index.manifests)
        #expect(try Data(contentsOf: URL(fileURLWithPath: out + "/index.json")) == (try Data(contentsOf: URL(fileURLWithPath: dir.appending("again/index.json")))))

        // skopeo reads the index, and copies the arm64 image alone (its manifest unchanged).
        let raw = try await Command.check(["skopeo", "inspect", "--raw", "oci:\(out):1.0"]).stdoutData
        #expect(Digest.sha256(of: raw) == multi.index.index.digest)
        let copy = dir.appending("copy")
        try await Command.check(["skopeo", "copy", "--override-os", "linux", "--override-arch", "arm64", "oci:\(out):1.0", "oci:\(copy):arm"])
        let copied = try ImageLayout(path: copy).manifest(tag: "arm")
        #expect(copied.descriptor.digest == multi.packed["arm64"]!.manifestDigest)
        #expect(copied.manifest.layers.map(\.digest) == [multi.packed["arm64"]!.layerDigest])

        // One image's manifest is not read out of an index by mistake.
        do {
            _ = try layout.manifest(tag: "1.0")
            Issue.record("an index must not decode as a manifest")
        } catch let error as OCIError {
            #expect(error == .imageIndex(layout: out, platforms: ["linux/amd64", "linux/arm64"]))
        }
    }

    @Test("pod images join an index the same way: the packer's arm64 config, skopeo copies that platform and umoci unpacks its tree")
    func containerImageIndex() async throws {
        let dir = try TemporaryDirectory(prefix: "labforge-tree")
        let root = try ContainerImagePackerTests.makeTree(in: dir)
        var packed: [String: PackagedContainerImage] = [:]
        for architecture in ["arm64", "amd64"] {
            var options = try ContainerImagePackerTests.options()
            options.architecture = architecture
            packed[architecture] = try ContainerImagePacker().package(tree: root, into: dir.appending(architecture), options: options)
        }
        let multi = try MultiArchLayout.write(images: [dir.appending("arm64"), dir.appending("amd64")], into: dir.appending("multi"), tag: try Tag("1.0"))
        #expect(multi.manifests.map(\.digest) == [packed["amd64"]!.manifestDigest, packed["arm64"]!.manifestDigest])
        let config = try JSONDecoder().decode(ConfigPlatform.self, from: try await Command.check([
            "skopeo", "inspect", "--override-os", "linux", "--override-arch", "arm64", "--config", "oci:\(multi.layout):1.0",
        ]).stdoutData)
        #expect(config.architecture == "arm64")
        let copy = dir.appending("copy")
        try await Command.check(["skopeo", "copy", "--override-os", "linux", "--override-arch", "arm64", "oci:\(multi.layout):1.0", "oci:\(copy):arm"])
        #expect(try ImageLayout(path: copy).manifest(tag: "arm").descriptor.digest == packed["arm64"]!.manifestDigest)
        try await Command.check(["umoci", "unpack", "--image", "\(copy):arm", dir.appending("bundle")])
        #expect(FileManager.default.contents(atPath: dir.appending("bundle/rootfs/etc/motd")) == Data("hello\n".utf8))
    }

    /// Whether /dev/shm is another file system than the temp directory (a hard link between them fails with EXDEV).
    static var sharedMemoryIsAnotherFileSystem: Bool {
        var temporary = stat(), shared = stat()
        return stat(FileManager.default.temporaryDirectory.path, &temporary) == 0 && stat("/dev/shm", &shared) == 0
            && temporary.st_dev != shared.st_dev && access("/dev/shm", W_OK) == 0
    }

    @Test(
        "across file systems the blobs are copied, with their mode, and the index is the same bytes as a linked one",
        .enabled(if: sharedMemoryIsAnotherFileSystem, "needs a writable /dev/shm on another file system than the temp directory"))
    func copiesAcrossFileSystems() async throws {
        let dir = try TemporaryDirectory()
        let multi = try await MultiArchContainerDisk.write(in: dir)
        let shared = "/dev/shm/labforge-test-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: shared) }
        let copied = try MultiArchLayout.write(
            images: [dir.appending("amd64"), dir.appending("arm64")], into: shared + "/multi", tag: try Tag("1.0"),
            annotations: [AnnotationKey.version: "1.0"])
        #expect(copied.index == multi.index.index)
        let layer = try #require(multi.packed["arm64"]).layerDigest
        let source = try FileManager.default.attributesOfItem(atPath: try ImageLayout(path: dir.appending("arm64")).blobPath(layer))
        let copy = try FileManager.default.attributesOfItem(atPath: try ImageLayout(path: copied.layout).blobPath(layer))
        #expect(copy[.posixPermissions] as? Int == source[.posixPermissions] as? Int)
        #expect(copy[.systemFileNumber] as? Int != source[.systemFileNumber] as? Int || copy[.systemNumber] as? Int != source[.systemNumber] as? Int)
        let raw = try await Command.check(["skopeo", "inspect", "--raw", "oci:\(copied.layout):1.0"]).stdoutData
        #expect(Digest.sha256(of: raw) == multi.index.index.digest)
        try await Command.check(["cmp", try ImageLayout(path: copied.layout).blobPath(layer), try ImageLayout(path: dir.appending("arm64")).blobPath(layer)])
    }

    @Test("refusals name the layouts at fault: two images of one platform, no image; nothing is written")
    func refusals() async throws {
        let dir = try TemporaryDirectory()
        let first = try await SyntheticLayout.write(at: dir.appending("one"), layerSizes: [1000], tag: "1.0")
        let second = try await SyntheticLayout.write(at: dir.appending("two"), layerSizes: [1000], tag: "1.0")
        let output = dir.appending("multi")
        #expect(throws: OCIError.duplicatePlatform(platform: "linux/amd64", layouts: [first.path, second.path])) {
            try MultiArchLayout.write(images: [first.path, second.path], into: output, tag: try Tag("1.0"))
        }
        #expect(throws: OCIError.noImages(output: output)) {
            try MultiArchLayout.write(images: [], into: output, tag: try Tag("1.0"))
        }
        #expect(!FileManager.default.fileExists(atPath: output))
        // An existing output is kept without force.
        let arm = try await SyntheticLayout.write(at: dir.appending("arm"), layerSizes: [1000], tag: "1.0", architecture: "arm64")
        _ = try MultiArchLayout.write(images: [first.path, arm.path], into: output, tag: try Tag("1.0"))
        #expect(throws: ContainerDiskError.outputExists(path: output)) {
            try MultiArchLayout.write(images: [first.path, arm.path], into: output, tag: try Tag("1.0"))
        }
    }
}
