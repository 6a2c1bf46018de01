// cosign's key-based image signatures: a simple-signing payload, its ECDSA signature in a layer annotation,
// pushed as the `sha256-<hex>.sig` tag next to the image (the layout `cosign verify` reads).
import Foundation
import OCI
import Registry

/// Signs pushed manifests the way `cosign sign --key` does, without the transparency log.
public enum CosignSignature {
    /// The payload's media type (the signature layer's).
    public static let payloadMediaType = "application/vnd.dev.cosign.simplesigning.v1+json"
    /// The layer annotation holding the base64 signature.
    public static let signatureAnnotation = "dev.cosignproject.cosign/signature"

    /// The simple-signing payload for an image (containers/image "signature" format, cosign's critical section).
    /// - Parameters:
    ///   - repository: `registry/repository` as the image is pulled.
    ///   - digest: The manifest digest.
    /// - Returns: The payload bytes (what is signed and stored as the layer).
    /// - Throws: `EncodingError` (not expected).
    public static func payload(repository: String, digest: Digest) throws -> Data {
        struct Payload: Encodable {
            struct Critical: Encodable {
                struct Identity: Encodable { var dockerReference: String; enum CodingKeys: String, CodingKey { case dockerReference = "docker-reference" } }
                struct Image: Encodable { var dockerManifestDigest: String; enum CodingKeys: String, CodingKey { case dockerManifestDigest = "docker-manifest-digest" } }
                var identity: Identity
                var image: Image
                var type = "cosign container image signature"
            }
            var critical: Critical
            var optional: [String: String]? = nil
            func encode(to encoder: Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(critical, forKey: .critical)
                try container.encodeNil(forKey: .optional)
            }
            enum CodingKeys: String, CodingKey { case critical, optional }
        }
        return try CanonicalJSON.encode(Payload(critical: .init(identity: .init(dockerReference: repository), image: .init(dockerManifestDigest: digest.description))))
    }

    /// The tag cosign looks for: `sha256-<hex>.sig`.
    /// - Parameter digest: The signed manifest's digest.
    /// - Returns: The tag.
    public static func tag(for digest: Digest) -> String { "\(digest.algorithm)-\(digest.hex).sig" }

    /// Signs the manifest `digest` in `repository` and pushes the signature under ``tag(for:)``, replacing an older
    /// signature manifest (a second signature by another key is not merged).
    /// - Parameters:
    ///   - digest: The manifest digest.
    ///   - repository: The repository.
    ///   - client: A connected registry client.
    ///   - key: The signing key.
    /// - Returns: The signature manifest's digest.
    /// - Throws: ``RegistryError`` from the uploads.
    public static func sign(_ digest: Digest, in repository: RepositoryName, client: RegistryClient, key: SigningKey) async throws -> Digest {
        let payload = try payload(repository: "\(client.registry)/\(repository)", digest: digest)
        let signature = try key.sign(payload).base64EncodedString()
        let layer = Descriptor(
            mediaType: payloadMediaType, digest: .sha256(of: payload), size: Int64(payload.count),
            annotations: [signatureAnnotation: signature])
        // cosign's own config: an image config whose one diff_id is the payload.
        let config = try Self.config(diffIDs: [layer.digest.description])
        let configDescriptor = Descriptor(mediaType: MediaType.imageConfig, digest: .sha256(of: config), size: Int64(config.count))
        try await client.uploadSmallBlob(config, as: configDescriptor, to: repository)
        try await client.uploadSmallBlob(payload, as: layer, to: repository)
        let manifest = try CanonicalJSON.encode(ImageManifest(config: configDescriptor, layers: [layer]))
        return try await client.putManifest(manifest, mediaType: MediaType.imageManifest, reference: tag(for: digest), in: repository)
    }

    /// cosign's image config for a signature or attestation manifest: one diff_id per layer (the layer's digest).
    static func config(diffIDs: [String]) throws -> Data {
        try CanonicalJSON.encode(SignatureConfig(rootfs: .init(diff_ids: diffIDs)))
    }

    private struct SignatureConfig: Encodable {
        struct RootFS: Encodable { var type = "layers"; var diff_ids: [String] }
        var architecture = ""
        var os = ""
        var config: [String: String] = [:]
        var rootfs: RootFS
    }
}
