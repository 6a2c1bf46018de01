// Writes small OCI image layouts with random layer bytes, for tests that push, copy or inspect images.
import Foundation
import OCI

/// A layout written by ``SyntheticLayout/write(at:layerSizes:tag:)``.
public struct SyntheticLayout: Sendable {
    /// The layout directory.
    public var path: String
    /// The manifest's descriptor.
    public var manifest: Descriptor
    /// The config's descriptor.
    public var config: Descriptor
    /// The layers' descriptors.
    public var layers: [Descriptor]
    /// The tag in `index.json`.
    public var tag: String

    /// Writes a layout: a config, layers of gzip-compressed random bytes of about the given sizes (contents are opaque
    /// to registries), a manifest and `index.json` naming it `tag`.
    /// - Parameters:
    ///   - path: The directory (created).
    ///   - layerSizes: Size of each layer in bytes.
    ///   - tag: The `org.opencontainers.image.ref.name`.
    ///   - architecture: The config's architecture (OCI names).
    /// - Returns: The descriptors written.
    /// - Throws: File errors.
    public static func write(at path: String, layerSizes: [Int], tag: String = "latest", architecture: String = "amd64") async throws -> SyntheticLayout {
        let blobs = URL(fileURLWithPath: path).appendingPathComponent("blobs/sha256")
        try FileManager.default.createDirectory(at: blobs, withIntermediateDirectories: true)
        func store(_ data: Data) async throws -> Digest {
            let digest = Digest.sha256(of: data)
            try data.write(to: blobs.appendingPathComponent(digest.hex))
            return digest
        }
        let random = try FileHandle(forReadingFrom: URL(fileURLWithPath: "/dev/urandom"))
        defer { try? random.close() }
        var layers: [Descriptor] = []
        var diffIDs: [Digest] = []
        for size in layerSizes {
            // Real gzip (of random bytes, so about `size` long): skopeo sniffs compression and would recompress
            // bytes that do not start with gzip's magic.
            let raw = try random.read(upToCount: size) ?? Data()
            let rawFile = blobs.appendingPathComponent("raw.tmp")
            try raw.write(to: rawFile)
            let data = try await Command.check(["gzip", "-1", "-n", "-c", rawFile.path]).stdoutData
            try FileManager.default.removeItem(at: rawFile)
            let digest = try await store(data)
            layers.append(Descriptor(mediaType: MediaType.layerTarGzip, digest: digest, size: Int64(data.count)))
            diffIDs.append(Digest.sha256(of: raw))
        }
        let configValue = ImageConfig(
            created: "1970-01-01T00:00:00Z", architecture: architecture, os: "linux",
            config: ImageConfig.Execution(Env: ["LABFORGE_TEST=\(UUID().uuidString)"]),
            rootfs: .init(diffIDs: diffIDs),
            history: [ImageConfig.History(created: "1970-01-01T00:00:00Z", created_by: "labforge SyntheticLayout")])
        let configData = try CanonicalJSON.encode(configValue)
        let config = await Descriptor(mediaType: MediaType.imageConfig, digest: try store(configData), size: Int64(configData.count))
        let manifestData = try CanonicalJSON.encode(ImageManifest(config: config, layers: layers))
        let manifest = await Descriptor(
            mediaType: MediaType.imageManifest, digest: try store(manifestData), size: Int64(manifestData.count),
            annotations: [AnnotationKey.refName: tag])
        try CanonicalJSON.encode(ImageIndex(manifests: [manifest]))
            .write(to: URL(fileURLWithPath: path).appendingPathComponent("index.json"))
        try ImageLayout.layoutFileContents.write(to: URL(fileURLWithPath: path).appendingPathComponent("oci-layout"))
        return SyntheticLayout(path: path, manifest: manifest, config: config, layers: layers, tag: tag)
    }
}
