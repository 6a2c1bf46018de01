// One multi-architecture OCI layout from per-architecture ones: an image index listing each image with its platform,
// tagged like a single-architecture layout tags its manifest. Blobs are hard-linked (or copied), never re-hashed.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What ``MultiArchLayout/write(images:into:tag:annotations:force:)`` wrote.
public struct PackagedImageIndex: Sendable, Codable, Equatable {
    /// The layout directory.
    public var layout: String
    /// The image index's descriptor (what the tag names, what `@sha256:` references pin, what is signed).
    public var index: Descriptor
    /// Each image's manifest descriptor with its platform and the manifest's annotations, in the index's order.
    public var manifests: [Descriptor]
}

/// Writes multi-architecture layouts: `index.json` holds one entry, an image index tagged with the version, whose blob
/// lists one manifest per platform (os and architecture from each image's config).
public enum MultiArchLayout {
    /// The order of platforms in an index; architectures not named here follow, by name.
    public static let architectureOrder = ["amd64", "arm64"]

    /// Writes the layout atomically (a temp directory beside `output`, renamed or swapped in when complete). The same
    /// inputs give the same bytes: canonical JSON, platforms in ``architectureOrder`` whatever the order of `images`.
    /// - Parameters:
    ///   - images: Per-architecture layouts, each with one entry in `index.json` (as the packers write them); an entry
    ///     that is itself an index contributes each of its images. Their blobs are hard-linked into the new layout when
    ///     on the same file system, else copied.
    ///   - output: The layout directory to create (or replace with `force`, and then only a layout).
    ///   - tag: The `org.opencontainers.image.ref.name` of the index entry (the version).
    ///   - annotations: The index's own annotations (e.g. `org.opencontainers.image.created`, `.version`); none when empty.
    ///   - force: Replace an existing layout at `output`.
    /// - Returns: The index's descriptor and the manifests it lists.
    /// - Throws: ``OCIError`` for the inputs (no image, two images of one platform, not a readable layout, a missing or
    ///   damaged blob), ``ContainerDiskError`` for the output (it exists, is not a layout, a blob can be neither linked
    ///   nor copied into it). Nothing is left at `output` on failure.
    public static func write(
        images: [String], into output: String, tag: Tag, annotations: [String: String] = [:], force: Bool = false
    ) throws -> PackagedImageIndex {
        guard !images.isEmpty else { throw OCIError.noImages(output: output) }
        var found: [(layout: ImageLayout, image: PlatformImage)] = []
        for path in images {
            let layout = try ImageLayout(path: path)
            for image in try layout.platformImages(tag: nil) {
                if let other = found.first(where: { $0.image.platform == image.platform }) {
                    throw OCIError.duplicatePlatform(
                        platform: "\(image.platform.os)/\(image.platform.architecture)", layouts: [other.layout.path, path])
                }
                found.append((layout, image))
            }
        }
        found.sort { order($0.image.platform) < order($1.image.platform) }
        try LayoutPlacement.checkOutput(output, force: force)

        return try LayoutPlacement.place(at: output) { placement in
            var placed = Set<Digest>()
            for (layout, image) in found {
                for blob in [image.descriptor, image.manifest.config] + image.manifest.layers where placed.insert(blob.digest).inserted {
                    try place(blob, from: layout, into: placement)
                }
            }
            let entries = found.map(\.image.indexEntry)
            let index = try placement.writeBlob(
                CanonicalJSON.encode(ImageIndex(manifests: entries, annotations: annotations.isEmpty ? nil : annotations)),
                mediaType: MediaType.imageIndex)
            var tagged = index
            tagged.annotations = [AnnotationKey.refName: tag.value]
            try placement.write(CanonicalJSON.encode(ImageIndex(manifests: [tagged])), to: placement.temporary.appendingPathComponent("index.json"))
            try placement.write(ImageLayout.layoutFileContents, to: placement.temporary.appendingPathComponent("oci-layout"))
            return PackagedImageIndex(layout: placement.output.path, index: index, manifests: entries)
        }
    }

    /// Sort key: the position in ``architectureOrder`` (unknown ones after), then the names.
    private static func order(_ platform: Platform) -> String {
        let position = architectureOrder.firstIndex(of: platform.architecture) ?? architectureOrder.count
        return "\(position) \(platform.architecture) \(platform.os)"
    }

    /// Links a blob of `layout` into the placement under its digest, or copies it (with its mode) across file systems.
    /// Its size is checked against the descriptor; its content is not hashed again (the packer hashed it once).
    private static func place(_ blob: Descriptor, from layout: ImageLayout, into placement: LayoutPlacement) throws {
        let source = layout.blobPath(blob.digest)
        let destination = placement.blobs.appendingPathComponent(blob.digest.hex).path
        var status = stat()
        guard stat(source, &status) == 0 else { throw OCIError.blobMissing(layout: layout.path, digest: blob.digest) }
        guard Int64(status.st_size) == blob.size else {
            throw OCIError.blobSize(path: source, expected: blob.size, actual: Int64(status.st_size))
        }
        if link(source, destination) == 0 { return }
        let linkError = errno
        guard [EXDEV, EPERM, EMLINK, ENOTSUP].contains(linkError) else {
            throw ContainerDiskError.writeFailed(path: destination, message: "cannot link \(source): \(String(cString: strerror(linkError)))")
        }
        do {
            try FileManager.default.copyItem(atPath: source, toPath: destination)
        } catch {
            throw ContainerDiskError.writeFailed(path: destination, message: "cannot copy \(source): \(error)")
        }
        guard chmod(destination, status.st_mode & 0o7777) == 0 else {
            throw ContainerDiskError.writeFailed(path: destination, message: "cannot set its mode: \(String(cString: strerror(errno)))")
        }
    }
}
