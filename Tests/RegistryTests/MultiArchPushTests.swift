// A multi-architecture containerDisk pushed to a real registry, read back by skopeo and pulled by containerd as an
// arm64 node would.
import Foundation
import OCI
import Registry
import Testing
import TestSupport

@Suite("multi-architecture push", .serialized)
struct MultiArchPushTests {
    struct RawIndex: Decodable {
        struct Entry: Decodable {
            struct Platform: Decodable { var architecture: String; var os: String }
            var digest: String
            var platform: Platform?
        }
        var mediaType: String
        var manifests: [Entry]
    }

    /// A registry holding a multi-architecture containerDisk that `labforge push` sent as `labs/multi:1.0` (and `tags`).
    struct Pushed {
        let registry: LocalRegistry
        let work: TemporaryDirectory
        let multi: MultiArchContainerDisk
        let reference: String
        let result: PushResult

        static func start(tags: [String] = []) async throws -> Pushed {
            let registry = try LocalRegistry()
            let work = try TemporaryDirectory()
            let multi = try await MultiArchContainerDisk.write(in: work)
            let reference = "\(registry.address)/labs/multi:1.0"
            let (run, pushed) = try await Push.run([multi.index.layout, reference] + tags.flatMap { ["--tag", $0] }, home: work.path)
            let result = try #require(pushed, "\(run.stderr)")
            return Pushed(registry: registry, work: work, multi: multi, reference: reference, result: result)
        }
    }

    @Test("labforge push sends each manifest and the index; skopeo reads both platforms and copies arm64; a re-push sends no byte")
    func pushAndRead() async throws {
        let pushed = try await Pushed.start(tags: ["latest"])
        defer { pushed.registry.stop() }
        let (work, multi, reference, result) = (pushed.work, pushed.multi, pushed.reference, pushed.result)
        #expect(result.digest == multi.index.index.digest && result.mediaType == MediaType.imageIndex)
        #expect(result.tags == ["1.0", "latest"])
        #expect(result.platforms.map(\.outcome) == [.uploaded, .uploaded])
        #expect(result.platforms.map(\.platform?.architecture) == ["amd64", "arm64"])
        #expect(result.blobs.filter { $0.outcome == .uploaded }.count == 4, "two configs and two layers")

        // skopeo: the tag is the index, with both platforms.
        let raw = try await Command.check(["skopeo", "inspect", "--tls-verify=false", "--raw", "docker://\(reference)"]).stdoutData
        #expect(Digest.sha256(of: raw) == multi.index.index.digest)
        let index = try JSONDecoder().decode(RawIndex.self, from: raw)
        #expect(index.mediaType == MediaType.imageIndex)
        #expect(index.manifests.compactMap { $0.platform.map { "\($0.os)/\($0.architecture)" } } == ["linux/amd64", "linux/arm64"])
        let config = try await Command.check([
            "skopeo", "inspect", "--tls-verify=false", "--override-os", "linux", "--override-arch", "arm64", "--config", "docker://\(reference)",
        ]).stdout
        #expect(config.contains(#""architecture": "arm64""#))
        let copy = work.appending("copy")
        try await Command.check([
            "skopeo", "copy", "--src-tls-verify=false", "--override-os", "linux", "--override-arch", "arm64", "docker://\(reference)", "oci:\(copy):arm",
        ])
        let copied = try ImageLayout(path: copy).manifest(tag: "arm")
        #expect(copied.descriptor.digest == multi.packed["arm64"]!.manifestDigest)
        let layer = try ImageLayout(path: copy).blobPath(multi.packed["arm64"]!.layerDigest)
        #expect(FileManager.default.fileExists(atPath: layer))

        // Again: every manifest is there (HEAD), the tags already name the index: nothing is sent.
        let (rerun, repushed) = try await Push.run([multi.index.layout, reference, "--tag", "latest"], home: work.path)
        let again = try #require(repushed, "\(rerun.stderr)")
        #expect(again.digest == result.digest)
        #expect(again.bytesSent == 0 && again.manifestBytesSent == 0, "\(again)")
        #expect(again.platforms.map(\.outcome) == [.existing, .existing] && again.blobs.isEmpty)

        // A new tag on a known index: only the index's bytes go.
        let (_, retagged) = try await Push.run([multi.index.layout, reference, "--tag", "stable"], home: work.path)
        let tagged = try #require(retagged)
        #expect(tagged.bytesSent == 0 && tagged.manifestBytesSent == Int64(raw.count))
    }

    @Test(
        "containerd pulls linux/arm64 from the index and unpacks /disk/ owned 107:107, the arm64 disk's bytes, without the amd64 layer",
        .enabled(if: PrivateContainerd.unavailableReason == nil, "\(PrivateContainerd.unavailableReason ?? "")"))
    func containerdPullsArm64() async throws {
        let pushed = try await Pushed.start()
        defer { pushed.registry.stop() }
        let (multi, reference) = (pushed.multi, pushed.reference)

        let containerd = try await PrivateContainerd()
        defer { containerd.stop() }
        let pull = try await containerd.ctr(["images", "pull", "--platform", "linux/arm64", "--plain-http", "--snapshotter", "native", reference])
        #expect(pull.status == 0, "\(pull.stderr)")
        #expect(pull.stdout.contains("unpacking linux/arm64"), "\(pull.stdout)")

        // The unpacked snapshot is what KubeVirt's container sees: /disk/disk.img, 0444, and /disk 0555, owned by qemu.
        let snapshots = try FileManager.default.contentsOfDirectory(atPath: containerd.nativeSnapshots)
        #expect(snapshots.count == 1, "\(snapshots)")
        let root = containerd.nativeSnapshots + "/" + (snapshots.first ?? "")
        for (path, mode) in [("disk", 0o555), ("disk/disk.img", 0o444)] {
            let attributes = try FileManager.default.attributesOfItem(atPath: root + "/" + path)
            #expect(attributes[.ownerAccountID] as? Int == 107 && attributes[.groupOwnerAccountID] as? Int == 107, "\(path)")
            #expect(attributes[.posixPermissions] as? Int == mode, "\(path)")
        }
        try await Command.check(["cmp", root + "/disk/disk.img", try #require(multi.disks["arm64"])])

        // Only the arm64 image's blobs were fetched.
        let content = try await containerd.ctr(["content", "ls", "-q"])
        #expect(content.stdout.contains(multi.packed["arm64"]!.layerDigest.description))
        #expect(!content.stdout.contains(multi.packed["amd64"]!.layerDigest.description), "\(content.stdout)")
    }
}
