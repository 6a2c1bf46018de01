// The seam between "what to push" and "where bytes go": a registry conforms; tests may add others.
import Foundation
import OCI

/// Somewhere images can be written blob by blob, then named by a manifest.
public protocol ImageDestination: Sendable {
    /// Human name for messages, e.g. `127.0.0.1:5000`.
    var name: String { get }

    /// Whether the repository already holds a blob.
    /// - Parameters:
    ///   - digest: The blob's digest.
    ///   - repository: The repository.
    /// - Returns: True when present.
    /// - Throws: When the destination cannot answer.
    func blobExists(_ digest: Digest, in repository: RepositoryName) async throws -> Bool

    /// Links a blob from another repository of the same destination.
    /// - Parameters:
    ///   - digest: The blob's digest.
    ///   - repository: Where to link it.
    ///   - source: Where it is.
    /// - Returns: True when linked, false when the destination declined.
    /// - Throws: When the destination cannot answer.
    func mountBlob(_ digest: Digest, into repository: RepositoryName, from source: RepositoryName) async throws -> Bool

    /// Repositories known to hold a blob already (mount candidates).
    /// - Parameter digest: The blob's digest.
    /// - Returns: Repositories, possibly none.
    func repositories(holding digest: Digest) async -> [RepositoryName]

    /// Writes a blob from a file, streaming.
    /// - Parameters:
    ///   - descriptor: The blob's descriptor.
    ///   - path: Its file.
    ///   - repository: The repository.
    ///   - progress: Called with bytes done so far.
    /// - Returns: What the write cost.
    /// - Throws: When the write fails for good.
    func uploadBlob(
        _ descriptor: Descriptor, file path: String, to repository: RepositoryName, progress: @escaping @Sendable (Int64) -> Void
    ) async throws -> UploadStatistics

    /// The digest a tag points at, or whether a manifest is present when `reference` is a digest (`HEAD`).
    /// - Parameters:
    ///   - reference: A tag or digest string.
    ///   - repository: The repository.
    /// - Returns: The manifest's digest, or nil when the repository does not have it.
    /// - Throws: When the destination cannot answer.
    func manifestDigest(_ reference: String, in repository: RepositoryName) async throws -> Digest?

    /// Writes a manifest under a tag (or its digest).
    /// - Parameters:
    ///   - bytes: The exact manifest bytes.
    ///   - mediaType: Its media type.
    ///   - reference: Tag or digest string.
    ///   - repository: The repository.
    /// - Returns: The manifest digest.
    /// - Throws: When the destination refuses it.
    func putManifest(_ bytes: Data, mediaType: String, reference: String, in repository: RepositoryName) async throws -> Digest
}

extension RegistryClient: ImageDestination {
    /// The registry name.
    public var name: String { registry }
}
