// Attaches an artifact (an SBOM) to a pushed manifest as an OCI 1.1 referrer: the referrers API when the
// registry has one, else the referrers tag schema (`sha256-<hex>` index) of distribution-spec 1.1.
import Foundation
import OCI

/// What ``ReferrerPusher/attach(_:fileName:artifactType:to:in:annotations:)`` pushed.
public struct AttachedReferrer: Sendable, Equatable, Codable {
    /// The artifact manifest's descriptor (with its artifact type), as it appears in the referrers index.
    public var manifest: Descriptor
    /// The subject it refers to.
    public var subject: Digest
    /// The fallback tag written (`sha256-<hex>`), or nil when the registry's referrers API indexed it.
    public var fallbackTag: String?
}

/// Pushes artifact manifests that refer to an image manifest.
public struct ReferrerPusher: Sendable {
    /// The registry.
    public let client: RegistryClient

    /// The empty JSON object every artifact without a config points at (image spec 1.1, "Guidance for an empty descriptor").
    public static let emptyConfig = Data("{}".utf8)

    /// Creates a pusher.
    /// - Parameter client: A connected registry client.
    public init(client: RegistryClient) {
        self.client = client
    }

    /// The fallback tag for a subject: `sha256-<hex>` (distribution-spec 1.1, "Referrers Tag Schema").
    /// - Parameter subject: The subject's digest.
    /// - Returns: The tag.
    public static func fallbackTag(for subject: Digest) -> String {
        "\(subject.algorithm)-\(subject.hex)"
    }

    /// Pushes `content` as a one-layer artifact whose `subject` is `subject`, and makes it discoverable.
    /// - Parameters:
    ///   - content: The artifact's bytes (e.g. an SPDX document).
    ///   - fileName: The layer's `org.opencontainers.image.title` (what `oras pull` names the file).
    ///   - artifactType: The manifest's `artifactType` and the layer's media type, e.g. `application/spdx+json`.
    ///   - subject: The image manifest it is about (media type, digest, size).
    ///   - repository: The repository holding the subject.
    ///   - annotations: Manifest annotations (e.g. `org.opencontainers.image.created`).
    /// - Returns: The pushed manifest and whether the fallback tag was written.
    /// - Throws: ``RegistryError`` from the uploads; ``RegistryError/protocolViolation(operation:registry:detail:)``
    ///   when the existing fallback tag is not an image index.
    public func attach(
        _ content: Data, fileName: String, artifactType: String, to subject: Descriptor, in repository: RepositoryName,
        annotations: [String: String]? = nil
    ) async throws -> AttachedReferrer {
        let config = Descriptor(mediaType: MediaType.empty, digest: .sha256(of: Self.emptyConfig), size: Int64(Self.emptyConfig.count))
        let layer = Descriptor(
            mediaType: artifactType, digest: .sha256(of: content), size: Int64(content.count), annotations: [AnnotationKey.title: fileName])
        try await client.uploadSmallBlob(Self.emptyConfig, as: config, to: repository)
        try await client.uploadSmallBlob(content, as: layer, to: repository)
        let manifest = ImageManifest(
            config: config, layers: [layer], annotations: annotations, artifactType: artifactType,
            subject: Descriptor(mediaType: subject.mediaType, digest: subject.digest, size: subject.size))
        let bytes = try CanonicalJSON.encode(manifest)
        let (digest, indexed) = try await client.putReferringManifest(bytes, mediaType: MediaType.imageManifest, in: repository)
        let descriptor = Descriptor(
            mediaType: MediaType.imageManifest, digest: digest, size: Int64(bytes.count), annotations: annotations, artifactType: artifactType)
        if indexed != nil {
            return AttachedReferrer(manifest: descriptor, subject: subject.digest, fallbackTag: nil)
        }
        // No referrers API: add the descriptor to the index under the fallback tag (read, add, write back).
        let tag = Self.fallbackTag(for: subject.digest)
        var index = ImageIndex(manifests: [])
        if let existing = try await client.manifest(tag, in: repository) {
            guard let decoded = try? JSONDecoder().decode(ImageIndex.self, from: existing.bytes) else {
                throw RegistryError.protocolViolation(
                    operation: "update of the referrers tag \(repository):\(tag)", registry: client.registry,
                    detail: "the tag holds \(existing.mediaType), not an image index; delete the tag and push again")
            }
            index = decoded
        }
        if !index.manifests.contains(where: { $0.digest == digest }) {
            index.manifests.append(descriptor)
            try await _ = client.putManifest(try CanonicalJSON.encode(index), mediaType: MediaType.imageIndex, reference: tag, in: repository)
        }
        return AttachedReferrer(manifest: descriptor, subject: subject.digest, fallbackTag: tag)
    }
}
