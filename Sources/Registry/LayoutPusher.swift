// Pushes one image of an OCI layout to an ImageDestination: blobs (skip, mount or upload), then the manifest per tag
// (a multi-architecture image index: LayoutPusher+Index.swift).
import Foundation
import OCI
import Reporting
import Synchronization

/// What happened to one blob.
public struct PushedBlob: Sendable, Codable, Equatable {
    /// How the blob got there.
    public enum Outcome: String, Sendable, Codable {
        /// The repository already had it (HEAD 200).
        case existing
        /// Linked from another repository of the registry.
        case mounted
        /// Bytes were sent.
        case uploaded
    }

    /// The blob's digest.
    public var digest: Digest
    /// Its media type.
    public var mediaType: String
    /// Its size.
    public var size: Int64
    /// How it got there.
    public var outcome: Outcome
    /// The repository it was mounted from.
    public var mountedFrom: String?
    /// Bytes sent, resends included.
    public var bytesSent: Int64
    /// Times the upload resumed from the registry's offset.
    public var resumes: Int
    /// Times the upload started over.
    public var restarts: Int
    /// Wall time in seconds.
    public var seconds: Double
}

/// The result of a push: the pinned reference and what each blob cost.
public struct PushResult: Sendable, Codable, Equatable {
    /// `registry/repository@sha256:…`, the value for DataVolumes and VMs.
    public var reference: String
    /// The manifest digest.
    public var digest: Digest
    /// The registry.
    public var registry: String
    /// The repository.
    public var repository: String
    /// Tags pointing at the manifest.
    public var tags: [String]
    /// The manifest's media type (``MediaType/imageIndex`` for a multi-architecture image).
    public var mediaType: String
    /// The manifests of a pushed image index, one per platform; empty when one image's manifest was pushed.
    public var platforms: [PushedManifest]
    /// Config and layers (of every platform's image that was not already in the repository).
    public var blobs: [PushedBlob]
    /// Blob bytes in the image.
    public var totalBytes: Int64
    /// Blob bytes put on the wire.
    public var bytesSent: Int64
    /// Manifest and index bytes put on the wire (what the registry already had under a reference is not sent).
    public var manifestBytesSent: Int64
    /// Wall time in seconds.
    public var seconds: Double
}

/// Pushes an image from an OCI layout.
public struct LayoutPusher: Sendable {
    /// Where blobs and manifests go.
    public let destination: any ImageDestination
    /// Progress of blob uploads (bytes per blob; the overall total at the end).
    public let progress: any ProgressReporter
    /// Blobs uploaded at the same time.
    public let parallelUploads: Int

    /// Creates a pusher.
    /// - Parameters:
    ///   - destination: Where blobs and manifests go.
    ///   - progress: Progress sink.
    ///   - parallelUploads: Blobs uploaded at the same time.
    public init(destination: any ImageDestination, progress: any ProgressReporter = SilentProgress(), parallelUploads: Int = 3) {
        self.destination = destination
        self.progress = progress
        self.parallelUploads = max(1, parallelUploads)
    }

    /// Pushes the image tagged `sourceTag` (or the only one) of a layout. When the tag names a multi-architecture image
    /// index, each platform's manifest the repository lacks is pushed by digest with its blobs (a manifest it has, by
    /// `HEAD`, is skipped with its blobs), then the index under each tag it does not already name.
    /// - Parameters:
    ///   - layout: The layout.
    ///   - sourceTag: Which image of the layout, nil for the only one.
    ///   - repository: The destination repository.
    ///   - tags: Tags to set (empty: push by digest only).
    ///   - mountFrom: Repositories of the same registry to try mounting blobs from.
    /// - Returns: The pinned reference and statistics.
    /// - Throws: ``OCIError`` for a broken layout, ``RegistryError`` for refusals, `CancellationError`.
    public func push(
        layout: ImageLayout, sourceTag: String?, to repository: RepositoryName, tags: [Tag], mountFrom: [RepositoryName] = []
    ) async throws -> PushResult {
        let started = Date()
        let top = try layout.manifestDescriptor(tag: sourceTag)
        if MediaType.isIndex(top.mediaType) {
            return try await pushIndex(top, layout: layout, sourceTag: sourceTag, to: repository, tags: tags, mountFrom: mountFrom, started: started)
        }
        let (descriptor, bytes, manifest) = try layout.manifest(tag: sourceTag)
        let mediaType = manifest.mediaType ?? descriptor.mediaType
        guard mediaType == MediaType.imageManifest || mediaType == MediaType.dockerManifest else {
            throw RegistryError.unsupportedManifest(mediaType: mediaType, layout: layout.path)
        }
        let blobs = try Self.blobs(of: [manifest], in: layout)
        let overall = OverallProgress(
            subject: "\(destination.name)/\(repository)", total: blobs.reduce(0) { $0 + $1.size }, reporter: progress)
        let ordered = try await pushBlobs(blobs, layout: layout, repository: repository, mountFrom: mountFrom, overall: overall)
        let references = tags.isEmpty ? [descriptor.digest.description] : tags.map(\.value)
        for reference in references {
            try await putManifest(bytes, as: descriptor, mediaType: mediaType, reference: reference, in: repository)
        }
        return result(
            descriptor, mediaType: mediaType, repository: repository, tags: tags, platforms: [], blobs: ordered,
            manifestBytesSent: Int64(bytes.count * references.count), overall: overall, started: started)
    }

    /// The distinct config and layer blobs of manifests, each checked to be in the layout.
    static func blobs(of manifests: [ImageManifest], in layout: ImageLayout) throws -> [Descriptor] {
        var seen = Set<Digest>()
        let blobs = manifests.flatMap { [$0.config] + $0.layers }.filter { seen.insert($0.digest).inserted }
        for blob in blobs where !FileManager.default.fileExists(atPath: layout.blobPath(blob.digest)) {
            throw OCIError.blobMissing(layout: layout.path, digest: blob.digest)
        }
        return blobs
    }

    /// Pushes blobs, `parallelUploads` at a time.
    /// - Returns: What happened to each, in the order given.
    func pushBlobs(
        _ blobs: [Descriptor], layout: ImageLayout, repository: RepositoryName, mountFrom: [RepositoryName], overall: OverallProgress
    ) async throws -> [PushedBlob] {
        overall.update(nil, 0)
        var results: [Digest: PushedBlob] = [:]
        try await withThrowingTaskGroup(of: PushedBlob.self) { group in
            var next = 0
            func startNext() {
                guard next < blobs.count else { return }
                let blob = blobs[next]
                next += 1
                group.addTask {
                    try await pushBlob(blob, layout: layout, repository: repository, mountFrom: mountFrom, overall: overall)
                }
            }
            for _ in 0..<min(parallelUploads, blobs.count) { startNext() }
            while let done = try await group.next() {
                results[done.digest] = done
                startNext()
            }
        }
        return blobs.compactMap { results[$0.digest] }
    }

    /// PUTs a manifest (or index) under `reference` and checks the digest the registry computed.
    func putManifest(_ bytes: Data, as descriptor: Descriptor, mediaType: String, reference: String, in repository: RepositoryName) async throws {
        let digest = try await destination.putManifest(bytes, mediaType: mediaType, reference: reference, in: repository)
        guard digest == descriptor.digest else {
            throw RegistryError.digestMismatch(
                operation: "upload of manifest as \(repository):\(reference)", registry: destination.name,
                expected: descriptor.digest, received: digest.description)
        }
    }

    /// Finishes the progress line and sums up the push.
    func result(
        _ descriptor: Descriptor, mediaType: String, repository: RepositoryName, tags: [Tag], platforms: [PushedManifest],
        blobs: [PushedBlob], manifestBytesSent: Int64, overall: OverallProgress, started: Date
    ) -> PushResult {
        let total = blobs.reduce(0) { $0 + $1.size }
        let sent = blobs.reduce(0) { $0 + $1.bytesSent }
        let seconds = Date().timeIntervalSince(started)
        let counts = [PushedBlob.Outcome.uploaded, .existing, .mounted].map { outcome in blobs.filter { $0.outcome == outcome }.count }
        overall.finish(detail: "\(counts[0]) uploaded, \(counts[1]) present, \(counts[2]) mounted; \(ByteCount.format(sent)) sent")
        return PushResult(
            reference: "\(destination.name)/\(repository)@\(descriptor.digest)", digest: descriptor.digest,
            registry: destination.name, repository: repository.value, tags: tags.map(\.value), mediaType: mediaType,
            platforms: platforms, blobs: blobs, totalBytes: total, bytesSent: sent, manifestBytesSent: manifestBytesSent,
            seconds: (seconds * 1000).rounded() / 1000)
    }

    private func pushBlob(
        _ blob: Descriptor, layout: ImageLayout, repository: RepositoryName, mountFrom: [RepositoryName], overall: OverallProgress
    ) async throws -> PushedBlob {
        defer { overall.update(blob.digest, blob.size) }
        let started = Date()
        func result(_ outcome: PushedBlob.Outcome, from: RepositoryName? = nil, statistics: UploadStatistics? = nil) -> PushedBlob {
            PushedBlob(
                digest: blob.digest, mediaType: blob.mediaType, size: blob.size, outcome: outcome, mountedFrom: from?.value,
                bytesSent: statistics?.bytesSent ?? 0, resumes: statistics?.resumes ?? 0, restarts: statistics?.restarts ?? 0,
                seconds: (Date().timeIntervalSince(started) * 1000).rounded() / 1000)
        }
        if try await destination.blobExists(blob.digest, in: repository) { return result(.existing) }
        var sources = mountFrom
        for known in await destination.repositories(holding: blob.digest) where !sources.contains(known) { sources.append(known) }
        for source in sources where source != repository {
            if try await destination.mountBlob(blob.digest, into: repository, from: source) { return result(.mounted, from: source) }
        }
        let subject = String(blob.digest.description.prefix(19))
        let progress = self.progress
        let size = blob.size
        let statistics = try await destination.uploadBlob(blob, file: layout.blobPath(blob.digest), to: repository) { done in
            progress.report(ProgressEvent(subject: subject, stage: "push", completed: done, total: size))
            overall.update(blob.digest, done)
        }
        progress.report(ProgressEvent(subject: subject, stage: "push", completed: size, total: size, finished: true))
        return result(.uploaded, statistics: statistics)
    }
}

/// Sums the progress of all blobs of a push into one event stream (bytes done of all blobs, overall rate).
final class OverallProgress: Sendable {
    private let subject: String
    private let total: Int64
    private let reporter: any ProgressReporter
    private let done = Mutex<[Digest: Int64]>([:])

    init(subject: String, total: Int64, reporter: any ProgressReporter) {
        self.subject = subject
        self.total = total
        self.reporter = reporter
    }

    /// Records a blob's bytes done (nil: just report).
    func update(_ digest: Digest?, _ bytes: Int64) {
        let sum = done.withLock { table -> Int64 in
            if let digest { table[digest] = bytes }
            return table.values.reduce(0, +)
        }
        reporter.report(ProgressEvent(subject: subject, stage: "push", detail: "all blobs", completed: sum, total: total))
    }

    /// Reports the last event.
    func finish(detail: String) {
        reporter.report(ProgressEvent(subject: subject, stage: "push", detail: detail, completed: total, total: total, finished: true))
    }
}
