// cosign's key-based attestations: in-toto statements in DSSE envelopes, one layer each, pushed as `sha256-<hex>.att`
// (the layout `cosign verify-attestation` reads).
import Foundation
import OCI
import Registry

/// Attaches signed in-toto statements to a pushed image the way `cosign attest --key` does, without the transparency log.
public enum CosignAttestation {
    /// The layer annotation cosign reads a layer's predicate type from.
    public static let predicateTypeAnnotation = "predicateType"

    /// One predicate to attest.
    public struct Predicate: Sendable, Equatable {
        /// Its type URI (``InTotoStatement/PredicateType``).
        public var type: String
        /// Its JSON object bytes.
        public var json: Data

        /// Creates a predicate.
        /// - Parameters:
        ///   - type: Type URI.
        ///   - json: JSON object bytes.
        public init(type: String, json: Data) {
            self.type = type
            self.json = json
        }
    }

    /// The tag cosign looks for: `sha256-<hex>.att`.
    /// - Parameter digest: The attested manifest's digest.
    /// - Returns: The tag.
    public static func tag(for digest: Digest) -> String { "\(digest.algorithm)-\(digest.hex).att" }

    /// The DSSE envelope bytes of one predicate about `digest` in `repository`.
    /// - Parameters:
    ///   - predicate: The predicate.
    ///   - subjectName: `registry/repository`.
    ///   - digest: The manifest digest.
    ///   - key: The signing key.
    /// - Returns: The envelope's JSON bytes.
    /// - Throws: ``SigningError/invalidPredicate(predicateType:reason:)``.
    public static func envelope(_ predicate: Predicate, subjectName: String, digest: Digest, key: SigningKey) throws -> Data {
        let statement = InTotoStatement(subjectName: subjectName, subjectDigest: digest, predicateType: predicate.type, predicate: predicate.json)
        return try DSSEEnvelope(signing: try statement.encoded(), type: InTotoStatement.payloadType, key: key).encoded()
    }

    /// Signs each predicate about manifest `digest` and pushes them as one attestation manifest under ``tag(for:)``,
    /// one layer per predicate, replacing an older one (a rebuild re-attests; layers of other signers are not merged).
    /// - Parameters:
    ///   - predicates: What to attest (an SBOM, a provenance).
    ///   - digest: The manifest digest.
    ///   - repository: The repository.
    ///   - client: A connected registry client.
    ///   - key: The signing key.
    /// - Returns: The attestation manifest's digest.
    /// - Throws: ``SigningError``, ``RegistryError`` from the uploads.
    public static func attach(
        _ predicates: [Predicate], to digest: Digest, in repository: RepositoryName, client: RegistryClient, key: SigningKey
    ) async throws -> Digest {
        let subjectName = "\(client.registry)/\(repository)"
        var layers: [Descriptor] = []
        for predicate in predicates {
            let envelope = try envelope(predicate, subjectName: subjectName, digest: digest, key: key)
            let layer = Descriptor(
                mediaType: DSSEEnvelope.mediaType, digest: .sha256(of: envelope), size: Int64(envelope.count),
                annotations: [CosignSignature.signatureAnnotation: "", predicateTypeAnnotation: predicate.type])
            try await client.uploadSmallBlob(envelope, as: layer, to: repository)
            layers.append(layer)
        }
        let config = try CosignSignature.config(diffIDs: layers.map(\.digest.description))
        let configDescriptor = Descriptor(mediaType: MediaType.imageConfig, digest: .sha256(of: config), size: Int64(config.count))
        try await client.uploadSmallBlob(config, as: configDescriptor, to: repository)
        let manifest = try CanonicalJSON.encode(ImageManifest(config: configDescriptor, layers: layers))
        return try await client.putManifest(manifest, mediaType: MediaType.imageManifest, reference: tag(for: digest), in: repository)
    }
}
