// `labforge push` against a real docker-registry, read back with skopeo: digests, re-push, tags, chunks, mounts.
import Foundation
import OCI
import Registry
import Testing
import TestSupport

@Suite("push to a real registry")
struct PushTests {
    @Test("push, then skopeo reads the same manifest digest and copies the image back byte for byte")
    func pushAndReadBack() async throws {
        let registry = try LocalRegistry()
        let work = try TemporaryDirectory()
        // A 3 MiB layer with 1 MiB chunks goes through POST/PATCH×3/PUT; the small config through POST+PUT.
        let layout = try await SyntheticLayout.write(at: work.appending("layout"), layerSizes: [3 << 20, 40_000], tag: "v1")
        let (run, pushed) = try await Push.run(
            [layout.path, "\(registry.address)/labs/debian:1.0", "--chunk-size", "1"], home: work.path)
        let result = try #require(pushed, "\(run.stderr)")
        #expect(result.reference == "\(registry.address)/labs/debian@\(layout.manifest.digest)")
        #expect(result.digest == layout.manifest.digest)
        #expect(result.blobs.allSatisfy { $0.outcome == .uploaded })
        #expect(result.bytesSent == result.totalBytes)
        await #expect(try Push.skopeoDigest("\(registry.address)/labs/debian:1.0") == layout.manifest.digest.description)
        let inspect = try await Command.check(["skopeo", "inspect", "--tls-verify=false", "docker://\(registry.address)/labs/debian:1.0"])
        #expect(inspect.stdout.contains(layout.manifest.digest.description))

        // skopeo copies it back into a layout: same manifest, same layer bytes.
        let back = work.appending("back")
        try await Command.check([
            "skopeo", "copy", "--src-tls-verify=false", "docker://\(registry.address)/labs/debian:1.0", "oci:\(back):copy",
        ])
        let copied = try ImageLayout(path: back)
        #expect(try copied.manifestDescriptor(tag: "copy").digest == layout.manifest.digest)
        let original = try ImageLayout(path: layout.path)
        for layer in layout.layers {
            #expect(FileManager.default.contentsEqual(atPath: copied.blobPath(layer.digest), andPath: original.blobPath(layer.digest)))
        }
    }

    @Test("a re-push sends no blob bytes; extra tags point at the same digest")
    func rePushAndTags() async throws {
        let registry = try LocalRegistry()
        let work = try TemporaryDirectory()
        let layout = try await SyntheticLayout.write(at: work.appending("layout"), layerSizes: [2 << 20], tag: "v1")
        let target = "\(registry.address)/labs/web"
        let (first, pushed) = try await Push.run([layout.path, "\(target):1.0"], home: work.path)
        #expect(try #require(pushed, "\(first.stderr)").bytesSent > 0)

        let (again, repushed) = try await Push.run([layout.path, "\(target):1.0", "--tag", "latest", "--tag", "stable"], home: work.path)
        let result = try #require(repushed, "\(again.stderr)")
        #expect(result.bytesSent == 0)
        #expect(result.blobs.allSatisfy { $0.outcome == .existing })
        #expect(result.tags == ["1.0", "latest", "stable"])
        for tag in ["1.0", "latest", "stable"] {
            await #expect(try Push.skopeoDigest("\(target):\(tag)") == layout.manifest.digest.description)
        }
        let tags = try await Command.check(["skopeo", "list-tags", "--tls-verify=false", "docker://\(target)"])
        #expect(tags.stdout.contains("\"stable\""))
    }

    @Test("--mount-from links blobs from another repository; the same client mounts by itself what it pushed")
    func crossRepositoryMount() async throws {
        let registry = try LocalRegistry()
        let work = try TemporaryDirectory()
        let layout = try await SyntheticLayout.write(at: work.appending("layout"), layerSizes: [1 << 20], tag: "v1")
        let (first, _) = try await Push.run([layout.path, "\(registry.address)/labs/a:1"], home: work.path)
        #expect(first.status == 0, "\(first.stderr)")
        let (second, mounted) = try await Push.run(
            [layout.path, "\(registry.address)/labs/b:1", "--mount-from", "labs/a"], home: work.path)
        let result = try #require(mounted, "\(second.stderr)")
        #expect(result.bytesSent == 0)
        #expect(result.blobs.allSatisfy { $0.outcome == .mounted && $0.mountedFrom == "labs/a" })
        await #expect(try Push.skopeoDigest("\(registry.address)/labs/b:1") == layout.manifest.digest.description)

        // One client, two repositories: the second push mounts from the first without being told.
        let image = try ImageLayout(path: layout.path)
        let results = try await RegistryClient.withConnection(to: registry.address, credential: nil) { client in
            let pusher = LayoutPusher(destination: client)
            let c = try await pusher.push(layout: image, sourceTag: nil, to: RepositoryName("labs/c"), tags: [Tag("1")])
            let d = try await pusher.push(layout: image, sourceTag: nil, to: RepositoryName("labs/d"), tags: [Tag("1")])
            return [c, d]
        }
        #expect(results[0].blobs.allSatisfy { $0.outcome == .uploaded })
        #expect(results[1].blobs.allSatisfy { $0.outcome == .mounted && $0.mountedFrom == "labs/c" })
        #expect(results[1].bytesSent == 0)
    }

    @Test("a corrupt blob fails with the blob, the registry and DIGEST_INVALID in one line")
    func corruptBlob() async throws {
        let registry = try LocalRegistry()
        let work = try TemporaryDirectory()
        let layout = try await SyntheticLayout.write(at: work.appending("layout"), layerSizes: [100_000], tag: "v1")
        let layer = layout.layers[0]
        let path = try ImageLayout(path: layout.path).blobPath(layer.digest)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes[0] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: path))
        let (run, result) = try await Push.run([layout.path, "\(registry.address)/labs/bad:1"], home: work.path)
        #expect(result == nil)
        #expect(run.status != 0)
        let line = try #require(run.stderr.split(separator: "\n").first { $0.contains("DIGEST_INVALID") }, "\(run.stderr)")
        #expect(line.contains(layer.digest.description))
        #expect(line.contains(registry.address))
    }
}
