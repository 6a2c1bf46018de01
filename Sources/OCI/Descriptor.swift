// A content descriptor (OCI image spec, descriptor.md): media type, digest, size, annotations.

/// Points at one blob by digest and size.
public struct Descriptor: Sendable, Hashable, Codable {
    /// The blob's media type.
    public var mediaType: String
    /// The blob's digest.
    public var digest: Digest
    /// The blob's size in bytes.
    public var size: Int64
    /// Optional annotations.
    public var annotations: [String: String]?
    /// Platform, in index entries.
    public var platform: Platform?
    /// The artifact type of the manifest it points at (entries of a referrers index, image spec 1.1).
    public var artifactType: String?

    /// Creates a descriptor.
    /// - Parameters:
    ///   - mediaType: The blob's media type.
    ///   - digest: The blob's digest.
    ///   - size: The blob's size.
    ///   - annotations: Optional annotations.
    ///   - platform: Optional platform (index entries).
    ///   - artifactType: The artifact type of the manifest it points at (referrers index entries).
    public init(
        mediaType: String, digest: Digest, size: Int64, annotations: [String: String]? = nil, platform: Platform? = nil, artifactType: String? = nil
    ) {
        self.mediaType = mediaType
        self.digest = digest
        self.size = size
        self.annotations = annotations
        self.platform = platform
        self.artifactType = artifactType
    }
}

/// The platform an image runs on (image-index.md).
public struct Platform: Sendable, Hashable, Codable {
    /// GOARCH-style architecture: `amd64`, `arm64`, …
    public var architecture: String
    /// `linux`.
    public var os: String

    /// Creates a platform.
    public init(architecture: String, os: String = "linux") {
        self.architecture = architecture
        self.os = os
    }
}
