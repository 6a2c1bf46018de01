// Small blobs held in memory (an artifact config, an SBOM, a signature payload), uploaded through the one upload path.
import Foundation
import OCI

extension RegistryClient {
    /// Uploads `data` unless the repository holds it already; streamed from a private temporary file like every blob.
    /// - Parameters:
    ///   - data: The blob's bytes.
    ///   - descriptor: Its descriptor (digest and size of `data`).
    ///   - repository: The repository.
    /// - Throws: ``RegistryError`` from the upload; ``RegistryError/localBlob(path:reason:)`` when the copy cannot be written.
    public func uploadSmallBlob(_ data: Data, as descriptor: Descriptor, to repository: RepositoryName) async throws {
        if try await blobExists(descriptor.digest, in: repository) { return }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("labforge-blob-\(UUID().uuidString)").path
        guard FileManager.default.createFile(atPath: path, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw RegistryError.localBlob(path: path, reason: "cannot write a temporary copy of \(descriptor.digest)")
        }
        defer { try? FileManager.default.removeItem(atPath: path) }
        _ = try await uploadBlob(descriptor, file: path, to: repository)
    }
}
