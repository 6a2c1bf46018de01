// OCI distribution 1.1 referrers: manifests that name a subject, the referrers API, and reading manifests back.
import Foundation
import OCI

extension RegistryClient {
    /// Uploads a manifest that has a `subject`, and says whether the registry indexed it as a referrer.
    /// - Parameters:
    ///   - bytes: The manifest exactly as hashed.
    ///   - mediaType: Its media type.
    ///   - repository: The repository.
    /// - Returns: The manifest digest, and the `OCI-Subject` header: present only when the registry has a referrers API
    ///   and recorded the subject (distribution-spec 1.1, "Pushing Manifests with Subject").
    /// - Throws: ``RegistryError`` for refusals; ``RegistryError/digestMismatch(operation:registry:expected:received:)``.
    public func putReferringManifest(_ bytes: Data, mediaType: String, in repository: RepositoryName) async throws -> (digest: Digest, subject: String?) {
        let digest = Digest.sha256(of: bytes)
        let operation = "upload of referring manifest \(digest) to \(repository)"
        let response = try await send(RegistryRequest(
            method: .PUT, url: apiURL(repository, "manifests/\(digest)"), headers: [("Content-Type", mediaType)],
            scopes: [Self.pushScope(repository)], body: { (.bytes(bytes), Int64(bytes.count)) }, operation: operation))
        guard response.status == 201 || response.status == 200 else { throw await failure(response, operation: operation) }
        if let reported = response.headers.first(name: "Docker-Content-Digest"), reported != digest.description {
            throw RegistryError.digestMismatch(operation: operation, registry: registry, expected: digest, received: reported)
        }
        return (digest, response.headers.first(name: "OCI-Subject"))
    }

    /// The bytes of a manifest or index (`GET /v2/<name>/manifests/<reference>`).
    /// - Parameters:
    ///   - reference: A tag or digest.
    ///   - repository: The repository.
    /// - Returns: The bytes and their media type, or nil when the registry does not know the reference.
    /// - Throws: ``RegistryError`` for answers other than 200/404.
    public func manifest(_ reference: String, in repository: RepositoryName) async throws -> (bytes: Data, mediaType: String)? {
        let operation = "read of manifest \(repository):\(reference)"
        let accept = [MediaType.imageManifest, MediaType.imageIndex, MediaType.dockerManifest, MediaType.dockerManifestList]
        let response = try await send(RegistryRequest(
            method: .GET, url: apiURL(repository, "manifests/\(reference)"), headers: [("Accept", accept.joined(separator: ", "))],
            scopes: [Self.pullScope(repository)], operation: operation))
        switch response.status {
        case 200: return (response.body, response.headers.first(name: "Content-Type") ?? MediaType.imageManifest)
        case 404: return nil
        default: throw await failure(response, operation: operation)
        }
    }

    /// The referrers index of a manifest from the referrers API (`GET /v2/<name>/referrers/<digest>`).
    /// - Parameters:
    ///   - digest: The subject's digest.
    ///   - repository: The repository.
    /// - Returns: The index, or nil when the registry has no referrers API (404).
    /// - Throws: ``RegistryError`` for other answers.
    public func referrers(of digest: Digest, in repository: RepositoryName) async throws -> ImageIndex? {
        let operation = "read of the referrers of \(repository)@\(digest)"
        let response = try await send(RegistryRequest(
            method: .GET, url: apiURL(repository, "referrers/\(digest)"), headers: [("Accept", MediaType.imageIndex)],
            scopes: [Self.pullScope(repository)], operation: operation))
        switch response.status {
        case 200: return try CanonicalJSON.decode(ImageIndex.self, from: response.body, source: operation)
        case 404: return nil
        default: throw await failure(response, operation: operation)
        }
    }
}
