// Reads an OCI image layout directory (image-layout.md): oci-layout, index.json, blobs/<alg>/<hex>.
import Foundation

/// An OCI image layout on disk, opened for reading.
public struct ImageLayout: Sendable {
    /// The layout directory.
    public let path: String
    /// The parsed `index.json`.
    public let index: ImageIndex

    /// The contents of the `oci-layout` file labforge writes.
    public static let layoutFileContents = Data(#"{"imageLayoutVersion":"1.0.0"}"#.utf8)

    /// Opens a layout, checking `oci-layout` and `index.json`.
    /// - Parameter path: The layout directory.
    /// - Throws: ``OCIError/notALayout(path:reason:)``, ``OCIError/invalidDocument(source:reason:)``.
    public init(path: String) throws {
        self.path = path
        let layoutFile = URL(fileURLWithPath: path).appendingPathComponent("oci-layout")
        guard let layoutData = try? Data(contentsOf: layoutFile) else {
            throw OCIError.notALayout(path: path, reason: "no readable oci-layout file")
        }
        struct LayoutVersion: Decodable { var imageLayoutVersion: String }
        let version = try CanonicalJSON.decode(LayoutVersion.self, from: layoutData, source: layoutFile.path)
        guard version.imageLayoutVersion.hasPrefix("1.") else {
            throw OCIError.notALayout(path: path, reason: "imageLayoutVersion \(version.imageLayoutVersion) is not 1.x")
        }
        let indexFile = URL(fileURLWithPath: path).appendingPathComponent("index.json")
        guard let indexData = try? Data(contentsOf: indexFile) else {
            throw OCIError.notALayout(path: path, reason: "no readable index.json")
        }
        index = try CanonicalJSON.decode(ImageIndex.self, from: indexData, source: indexFile.path)
    }

    /// The tags (`org.opencontainers.image.ref.name`) of the manifests in the index.
    public var tags: [String] {
        index.manifests.compactMap { $0.annotations?[AnnotationKey.refName] }
    }

    /// The path of a blob.
    /// - Parameter digest: The blob's digest.
    /// - Returns: `<layout>/blobs/<algorithm>/<hex>`.
    public func blobPath(_ digest: Digest) -> String {
        URL(fileURLWithPath: path).appendingPathComponent("blobs/\(digest.algorithm)/\(digest.hex)").path
    }

    /// Reads a small blob (manifest, config) whole and checks its digest.
    /// - Parameter digest: The blob's digest.
    /// - Returns: Its bytes.
    /// - Throws: ``OCIError/blobMissing(layout:digest:)``, ``OCIError/blobCorrupt(path:expected:actual:)``.
    public func readBlob(_ digest: Digest) throws -> Data {
        let blob = blobPath(digest)
        guard let data = FileManager.default.contents(atPath: blob) else {
            throw OCIError.blobMissing(layout: path, digest: digest)
        }
        if digest.algorithm == "sha256" {
            let actual = Digest.sha256(of: data)
            guard actual == digest else { throw OCIError.blobCorrupt(path: blob, expected: digest, actual: actual) }
        }
        return data
    }

    /// The manifest descriptor for a tag, or the only one when `tag` is nil.
    /// - Parameter tag: A tag in the index, or nil.
    /// - Returns: The manifest's descriptor.
    /// - Throws: ``OCIError/tagNotFound(layout:tag:available:)``, ``OCIError/ambiguousLayout(layout:tags:)``.
    public func manifestDescriptor(tag: String?) throws -> Descriptor {
        if let tag {
            guard let found = index.manifests.first(where: { $0.annotations?[AnnotationKey.refName] == tag }) else {
                throw OCIError.tagNotFound(layout: path, tag: tag, available: tags)
            }
            return found
        }
        guard index.manifests.count == 1, let only = index.manifests.first else {
            if index.manifests.isEmpty { throw OCIError.notALayout(path: path, reason: "index.json lists no manifest") }
            throw OCIError.ambiguousLayout(layout: path, tags: tags)
        }
        return only
    }

    /// Loads the manifest for a tag (or the only one).
    /// - Parameter tag: A tag in the index, or nil.
    /// - Returns: The descriptor, the exact manifest bytes and the decoded manifest.
    /// - Throws: ``OCIError``; ``OCIError/imageIndex(layout:platforms:)`` when the tag names a multi-architecture index
    ///   (read it with ``platformImages(tag:)``).
    public func manifest(tag: String?) throws -> (descriptor: Descriptor, bytes: Data, manifest: ImageManifest) {
        let descriptor = try manifestDescriptor(tag: tag)
        if MediaType.isIndex(descriptor.mediaType) {
            let platforms = (try? imageIndex(descriptor).index.manifests.compactMap { $0.platform.map { "\($0.os)/\($0.architecture)" } }) ?? []
            throw OCIError.imageIndex(layout: path, platforms: platforms)
        }
        let bytes = try readBlob(descriptor.digest)
        let manifest = try CanonicalJSON.decode(ImageManifest.self, from: bytes, source: blobPath(descriptor.digest))
        return (descriptor, bytes, manifest)
    }

    /// Loads an image config.
    /// - Parameter manifest: The manifest naming it.
    /// - Returns: The config.
    /// - Throws: ``OCIError``.
    public func config(of manifest: ImageManifest) throws -> ImageConfig {
        try CanonicalJSON.decode(ImageConfig.self, from: try readBlob(manifest.config.digest), source: blobPath(manifest.config.digest))
    }
}
