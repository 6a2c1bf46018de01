// The part both packers share: one layer already streamed into the placement, then config, manifest, index and
// `oci-layout` as canonical JSON blobs.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension LayoutPlacement {
    /// `blobs/sha256` inside the temp directory.
    var blobs: URL { temporary.appendingPathComponent("blobs/sha256") }

    /// Where a layer is streamed before its digest is known.
    var partialLayer: String { blobs.appendingPathComponent(".layer.partial").path }

    /// Refuses an existing output unless `force`, and then only a layout or an empty directory, so a mistyped path
    /// never costs a user's files.
    static func checkOutput(_ output: String, force: Bool) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: output, isDirectory: &isDirectory) else { return }
        guard force else { throw ContainerDiskError.outputExists(path: output) }
        let isEmptyDirectory = isDirectory.boolValue && ((try? FileManager.default.contentsOfDirectory(atPath: output))?.isEmpty ?? false)
        guard isEmptyDirectory || (try? ImageLayout(path: output)) != nil else { throw ContainerDiskError.outputNotALayout(path: output) }
    }

    /// Names the streamed layer by its digest, then writes the config, the manifest (with `annotations`), the index
    /// (tag and platform) and `oci-layout`.
    /// - Returns: The manifest's and the config's descriptors.
    func writeImage(
        layer: Descriptor, config: ImageConfig, annotations: [String: String], tag: String, architecture: String
    ) throws -> (manifest: Descriptor, config: Descriptor) {
        let layerPath = blobs.appendingPathComponent(layer.digest.hex).path
        guard rename(partialLayer, layerPath) == 0 else {
            throw ContainerDiskError.writeFailed(path: layerPath, message: String(cString: strerror(errno)))
        }
        let configDescriptor = try writeBlob(CanonicalJSON.encode(config), mediaType: MediaType.imageConfig)
        let manifest = ImageManifest(config: configDescriptor, layers: [layer], annotations: annotations)
        let manifestDescriptor = try writeBlob(CanonicalJSON.encode(manifest), mediaType: MediaType.imageManifest)
        var indexEntry = manifestDescriptor
        indexEntry.annotations = [AnnotationKey.refName: tag]
        indexEntry.platform = Platform(architecture: architecture)
        try write(CanonicalJSON.encode(ImageIndex(manifests: [indexEntry])), to: temporary.appendingPathComponent("index.json"))
        try write(ImageLayout.layoutFileContents, to: temporary.appendingPathComponent("oci-layout"))
        return (manifestDescriptor, configDescriptor)
    }

    /// Writes a small blob (config, manifest, index) under its digest.
    func writeBlob(_ data: Data, mediaType: String) throws -> Descriptor {
        let digest = Digest.sha256(of: data)
        try write(data, to: blobs.appendingPathComponent(digest.hex))
        return Descriptor(mediaType: mediaType, digest: digest, size: Int64(data.count))
    }

    /// Writes a file of the layout (`index.json`, `oci-layout`).
    func write(_ data: Data, to url: URL) throws {
        do { try data.write(to: url, options: .atomic) } catch { throw ContainerDiskError.writeFailed(path: url.path, message: "\(error)") }
    }
}
