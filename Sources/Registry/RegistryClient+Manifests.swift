// Manifests: `PUT` with the exact bytes and media type, `Docker-Content-Digest` checked; `HEAD` to read a tag's digest.
import Foundation
import OCI

extension RegistryClient {
    /// Uploads a manifest under a tag or its digest.
    /// - Parameters:
    ///   - bytes: The manifest exactly as hashed.
    ///   - mediaType: Its media type (sent as `Content-Type`).
    ///   - reference: A tag, or the digest string.
    ///   - repository: The repository.
    /// - Returns: The manifest's digest, confirmed by the registry when it says.
    /// - Throws: ``RegistryError/digestMismatch(operation:registry:expected:received:)`` when the registry hashed other
    ///   bytes; ``RegistryError`` for refusals (`MANIFEST_BLOB_UNKNOWN`, `DENIED`, …).
    public func putManifest(_ bytes: Data, mediaType: String, reference: String, in repository: RepositoryName) async throws -> Digest {
        let digest = Digest.sha256(of: bytes)
        let operation = "upload of manifest \(digest) as \(repository):\(reference)"
        let response = try await send(RegistryRequest(
            method: .PUT, url: apiURL(repository, "manifests/\(reference)"), headers: [("Content-Type", mediaType)],
            scopes: [Self.pushScope(repository)],
            body: { (.bytes(bytes), Int64(bytes.count)) },
            operation: operation))
        guard response.status == 201 || response.status == 200 else { throw await failure(response, operation: operation) }
        if let reported = response.headers.first(name: "Docker-Content-Digest"), reported != digest.description {
            throw RegistryError.digestMismatch(operation: operation, registry: registry, expected: digest, received: reported)
        }
        return digest
    }

    /// The digest a tag points at (`HEAD /v2/<name>/manifests/<tag>`).
    /// - Parameters:
    ///   - reference: A tag or digest.
    ///   - repository: The repository.
    /// - Returns: The digest, or nil when unknown.
    /// - Throws: ``RegistryError`` for answers other than 200/404.
    public func manifestDigest(_ reference: String, in repository: RepositoryName) async throws -> Digest? {
        let operation = "check of manifest \(repository):\(reference)"
        let accept = [MediaType.imageManifest, MediaType.imageIndex, MediaType.dockerManifest, MediaType.dockerManifestList]
        let response = try await send(RegistryRequest(
            method: .HEAD, url: apiURL(repository, "manifests/\(reference)"), headers: [("Accept", accept.joined(separator: ", "))],
            scopes: [Self.pullScope(repository)], operation: operation))
        switch response.status {
        case 200:
            return try response.headers.first(name: "Docker-Content-Digest").map { try Digest(parsing: $0) }
        case 404:
            return nil
        default:
            throw await failure(response, operation: operation)
        }
    }
}
