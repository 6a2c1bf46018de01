// A DSSE envelope (Dead Simple Signing Envelope, secure-systems-lab/dsse v1): a payload and signatures over its PAE.
import Foundation
import OCI

/// A signed payload as in-toto attestations carry it (`application/vnd.dsse.envelope.v1+json`).
public struct DSSEEnvelope: Sendable, Codable, Equatable {
    /// The envelope's media type, as cosign gives it to an attestation layer.
    public static let mediaType = "application/vnd.dsse.envelope.v1+json"

    /// One signature.
    public struct Signature: Sendable, Codable, Equatable {
        /// Key id (empty: cosign's key-based attestations leave it so).
        public var keyid: String
        /// Base64 of the DER ECDSA signature over the PAE.
        public var sig: String
    }

    /// The payload's type, e.g. `application/vnd.in-toto+json`.
    public var payloadType: String
    /// Base64 of the payload bytes.
    public var payload: String
    /// Signatures over ``preAuthenticationEncoding(type:payload:)``.
    public var signatures: [Signature]

    /// Signs `payload` with `key`.
    /// - Parameters:
    ///   - payload: The bytes to sign (an in-toto statement).
    ///   - type: Their type.
    ///   - key: The signing key.
    /// - Throws: `CryptoKitError` (not expected).
    public init(signing payload: Data, type: String, key: SigningKey) throws {
        payloadType = type
        self.payload = payload.base64EncodedString()
        signatures = [Signature(keyid: "", sig: try key.sign(Self.preAuthenticationEncoding(type: type, payload: payload)).base64EncodedString())]
    }

    /// DSSE's PAE: `"DSSEv1" SP len(type) SP type SP len(payload) SP payload`, lengths in ASCII decimal bytes.
    /// - Parameters:
    ///   - type: The payload type.
    ///   - payload: The payload.
    /// - Returns: The bytes a signature covers.
    public static func preAuthenticationEncoding(type: String, payload: Data) -> Data {
        let typeBytes = Data(type.utf8)
        var pae = Data("DSSEv1 \(typeBytes.count) ".utf8)
        pae.append(typeBytes)
        pae.append(Data(" \(payload.count) ".utf8))
        pae.append(payload)
        return pae
    }

    /// The envelope's JSON bytes (sorted keys), what the attestation layer holds.
    /// - Returns: The bytes.
    /// - Throws: `EncodingError` (not expected).
    public func encoded() throws -> Data { try CanonicalJSON.encode(self) }
}
