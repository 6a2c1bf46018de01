// What happened to one manifest of a multi-architecture push: sent, or already in the repository.
import OCI

/// One platform's manifest of a pushed image index.
public struct PushedManifest: Sendable, Codable, Equatable {
    /// The manifest's digest.
    public var digest: Digest
    /// Its media type.
    public var mediaType: String
    /// The platform the index lists it for.
    public var platform: Platform?
    /// How it got there: ``PushedBlob/Outcome/existing`` (`HEAD` by digest answered 200; none of its blobs were looked
    /// at) or ``PushedBlob/Outcome/uploaded`` (its bytes were sent, by digest); a manifest is never mounted.
    public var outcome: PushedBlob.Outcome
    /// Manifest bytes sent (0 when it existed).
    public var bytesSent: Int64
}
