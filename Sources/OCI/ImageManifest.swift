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
    /// What kind of artifact this is when it is not a runnable image (image spec 1.1), e.g. `application/spdx+json`.
    public var artifactType: String?
    /// The manifest this one refers to (image spec 1.1): an SBOM or a signature names the image it is about.
    public var subject: Descriptor?

    /// Creates an OCI image manifest.
    /// - Parameters:
    ///   - config: The config descriptor.
    ///   - layers: The layer descriptors.
    ///   - annotations: Manifest annotations.
    ///   - artifactType: The artifact type of a non-image manifest.
    ///   - subject: The manifest this one refers to.
    public init(config: Descriptor, layers: [Descriptor], annotations: [String: String]? = nil, artifactType: String? = nil, subject: Descriptor? = nil) {
        schemaVersion = 2
        mediaType = MediaType.imageManifest
        self.config = config
        self.layers = layers
        self.annotations = annotations
        self.artifactType = artifactType
        self.subject = subject
    }
}
