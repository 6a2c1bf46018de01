// Reads the per-platform images of a layout whose tag names either one image's manifest or a multi-architecture
// image index (image-index.md): the same answer, one entry per platform, for both.
import Foundation

/// One platform's image in a layout: its manifest and config, and where the layout points at it.
public struct PlatformImage: Sendable, Hashable {
    /// The manifest's descriptor, as the layout's `index.json` or the image index lists it.
    public var descriptor: Descriptor
    /// The exact manifest bytes.
    public var bytes: Data
    /// The decoded manifest.
    public var manifest: ImageManifest
    /// The decoded config.
    public var config: ImageConfig

    /// The platform the config says the image is for (`os`, `architecture`): what an index entry records.
    public var platform: Platform { Platform(architecture: config.architecture, os: config.os) }

    /// The manifest descriptor with ``platform``, as an image index lists it.
    public var indexEntry: Descriptor {
        Descriptor(
            mediaType: descriptor.mediaType, digest: descriptor.digest, size: descriptor.size, annotations: manifest.annotations,
            platform: platform)
    }
}

extension ImageLayout {
    /// Loads the image index a descriptor of this layout points at.
    /// - Parameter descriptor: An index's descriptor (``MediaType/imageIndex``).
    /// - Returns: The descriptor, the exact index bytes and the decoded index.
    /// - Throws: ``OCIError/blobMissing(layout:digest:)``, ``OCIError/blobCorrupt(path:expected:actual:)``,
    ///   ``OCIError/invalidDocument(source:reason:)``.
    public func imageIndex(_ descriptor: Descriptor) throws -> (descriptor: Descriptor, bytes: Data, index: ImageIndex) {
        let bytes = try readBlob(descriptor.digest)
        return (descriptor, bytes, try CanonicalJSON.decode(ImageIndex.self, from: bytes, source: blobPath(descriptor.digest)))
    }

    /// The images a tag (or the only entry) stands for: the one image of a single-architecture layout, or each manifest
    /// of a multi-architecture index, in the index's order. Every manifest and config is read and checked against its
    /// digest; layers are not read.
    /// - Parameter tag: A tag in `index.json`, or nil for the only entry.
    /// - Returns: One ``PlatformImage`` per manifest.
    /// - Throws: ``OCIError`` for a missing tag, a missing or damaged blob, a document that does not decode, or an index
    ///   nested in an index (labforge writes none).
    public func platformImages(tag: String?) throws -> [PlatformImage] {
        let top = try manifestDescriptor(tag: tag)
        let descriptors: [Descriptor]
        if MediaType.isIndex(top.mediaType) {
            descriptors = try imageIndex(top).index.manifests
        } else {
            descriptors = [top]
        }
        return try descriptors.map { descriptor in
            if MediaType.isIndex(descriptor.mediaType) {
                throw OCIError.invalidDocument(source: blobPath(top.digest), reason: "index \(descriptor.digest) is nested in an index")
            }
            let bytes = try readBlob(descriptor.digest)
            let manifest = try CanonicalJSON.decode(ImageManifest.self, from: bytes, source: blobPath(descriptor.digest))
            return PlatformImage(descriptor: descriptor, bytes: bytes, manifest: manifest, config: try config(of: manifest))
        }
    }
}
