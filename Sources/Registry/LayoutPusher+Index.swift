// Pushes a multi-architecture image index: each platform's manifest (and its blobs) by digest, then the index per tag;
// what the repository already has, by HEAD, is not sent again.
import Foundation
import OCI

extension LayoutPusher {
    /// Pushes the image index `top` (tagged `sourceTag`) of a layout; the registry needs every manifest it lists before
    /// the index itself.
    func pushIndex(
        _ top: Descriptor, layout: ImageLayout, sourceTag: String?, to repository: RepositoryName, tags: [Tag], mountFrom: [RepositoryName], started: Date
    ) async throws -> PushResult {
        let (_, indexBytes, _) = try layout.imageIndex(top)
        let images = try layout.platformImages(tag: sourceTag)
        var present = Set<Digest>()
        for image in images where try await destination.manifestDigest(image.descriptor.digest.description, in: repository) != nil {
            present.insert(image.descriptor.digest)
        }
        // A manifest the repository has comes with its blobs (a registry refuses a manifest whose blobs it lacks).
        let missing = images.filter { !present.contains($0.descriptor.digest) }
        let blobs = try Self.blobs(of: missing.map(\.manifest), in: layout)
        let overall = OverallProgress(
            subject: "\(destination.name)/\(repository)", total: blobs.reduce(0) { $0 + $1.size }, reporter: progress)
        let pushedBlobs = try await pushBlobs(blobs, layout: layout, repository: repository, mountFrom: mountFrom, overall: overall)

        var platforms: [PushedManifest] = []
        var sent: Int64 = 0
        for image in images {
            let descriptor = image.descriptor
            let exists = present.contains(descriptor.digest)
            if !exists {
                try await putManifest(
                    image.bytes, as: descriptor, mediaType: descriptor.mediaType, reference: descriptor.digest.description, in: repository)
                sent += Int64(image.bytes.count)
            }
            platforms.append(PushedManifest(
                digest: descriptor.digest, mediaType: descriptor.mediaType, platform: descriptor.platform ?? image.platform,
                outcome: exists ? .existing : .uploaded, bytesSent: exists ? 0 : Int64(image.bytes.count)))
        }
        let references = tags.isEmpty ? [top.digest.description] : tags.map(\.value)
        for reference in references where try await destination.manifestDigest(reference, in: repository) != top.digest {
            try await putManifest(indexBytes, as: top, mediaType: top.mediaType, reference: reference, in: repository)
            sent += Int64(indexBytes.count)
        }
        return result(
            top, mediaType: top.mediaType, repository: repository, tags: tags, platforms: platforms, blobs: pushedBlobs,
            manifestBytesSent: sent, overall: overall, started: started)
    }
}
