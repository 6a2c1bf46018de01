// An in-toto statement: which artifact (by digest) a predicate (an SBOM, a provenance) is about.
import Foundation
import OCI

/// An in-toto attestation statement (https://github.com/in-toto/attestation, Statement layer) with its predicate.
public struct InTotoStatement: Sendable, Equatable {
    /// The payload type a DSSE envelope gives a statement.
    public static let payloadType = "application/vnd.in-toto+json"
    /// The statement version written (`_type`); cosign 2.x verifies it like its own v0.1.
    public static let statementType = "https://in-toto.io/Statement/v1"

    /// The image the statement is about: `registry/repository` and the manifest digest.
    public var subjectName: String
    /// The manifest digest.
    public var subjectDigest: Digest
    /// The predicate's type URI, e.g. ``PredicateType/spdx``.
    public var predicateType: String
    /// The predicate as JSON bytes (an object), embedded as they are.
    public var predicate: Data

    /// Predicate types `cosign verify-attestation --type` knows by short name.
    public enum PredicateType {
        /// `--type spdxjson`: an SPDX document.
        public static let spdx = "https://spdx.dev/Document"
        /// `--type cyclonedx`: a CycloneDX BOM.
        public static let cycloneDX = "https://cyclonedx.org/bom"
        /// `--type slsaprovenance1`: SLSA provenance v1.
        public static let slsaProvenanceV1 = "https://slsa.dev/provenance/v1"
    }

    /// Creates a statement.
    /// - Parameters:
    ///   - subjectName: `registry/repository`.
    ///   - subjectDigest: The manifest digest.
    ///   - predicateType: The predicate type URI.
    ///   - predicate: The predicate's JSON object bytes.
    public init(subjectName: String, subjectDigest: Digest, predicateType: String, predicate: Data) {
        self.subjectName = subjectName
        self.subjectDigest = subjectDigest
        self.predicateType = predicateType
        self.predicate = predicate
    }

    /// The statement's JSON bytes: keys in sorted order, the predicate's own bytes spliced in unchanged (an SBOM's
    /// digest stays the digest of what the attestation holds).
    /// - Returns: The bytes to put in a DSSE envelope.
    /// - Throws: ``SigningError/invalidPredicate(predicateType:reason:)`` when the predicate is not a JSON object.
    public func encoded() throws -> Data {
        guard (try? JSONSerialization.jsonObject(with: predicate)) is [String: Any] else {
            throw SigningError.invalidPredicate(predicateType: predicateType, reason: "not a JSON object")
        }
        struct Subject: Encodable { var name: String; var digest: [String: String] }
        var bytes = Data("{\"_type\":".utf8)
        bytes.append(try CanonicalJSON.encode(Self.statementType))
        bytes.append(Data(",\"predicate\":".utf8))
        bytes.append(predicate)
        bytes.append(Data(",\"predicateType\":".utf8))
        bytes.append(try CanonicalJSON.encode(predicateType))
        bytes.append(Data(",\"subject\":".utf8))
        bytes.append(try CanonicalJSON.encode([Subject(name: subjectName, digest: [subjectDigest.algorithm: subjectDigest.hex])]))
        bytes.append(Data("}".utf8))
        return bytes
    }
}
