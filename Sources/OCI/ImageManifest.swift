// The image manifest (OCI image spec, manifest.md).

/// One image: a config and its layers.
public struct ImageManifest: Sendable, Hashable, Codable {
    /// Always 2.
    public var schemaVersion: Int
    /// `application/vnd.oci.image.manifest.v1+json`.
    public var mediaType: String?
    /// The image config blob.
    public var config: Descriptor
    /// The layer blobs, base first.
    public var layers: [Descriptor]
    /// Manifest annotations (`org.opencontainers.image.*`).
    public var annotations: [String: String]?

    /// Creates an OCI image manifest.
    /// - Parameters:
    ///   - config: The config descriptor.
    ///   - layers: The layer descriptors.
    ///   - annotations: Manifest annotations.
    public init(config: Descriptor, layers: [Descriptor], annotations: [String: String]? = nil) {
        schemaVersion = 2
        mediaType = MediaType.imageManifest
        self.config = config
        self.layers = layers
        self.annotations = annotations
    }
}
