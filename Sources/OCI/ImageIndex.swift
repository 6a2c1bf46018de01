// The image index (OCI image spec, image-index.md), also the `index.json` of an image layout.

/// A list of manifests; in a layout, each tagged with `org.opencontainers.image.ref.name`.
public struct ImageIndex: Sendable, Hashable, Codable {
    /// Always 2.
    public var schemaVersion: Int
    /// `application/vnd.oci.image.index.v1+json`.
    public var mediaType: String?
    /// The manifests.
    public var manifests: [Descriptor]
    /// Index annotations.
    public var annotations: [String: String]?

    /// Creates an index.
    /// - Parameter manifests: The manifest descriptors.
    public init(manifests: [Descriptor], annotations: [String: String]? = nil) {
        schemaVersion = 2
        mediaType = MediaType.imageIndex
        self.manifests = manifests
        self.annotations = annotations
    }
}
