// Resolves any BaseImage to a local qcow2: downloads, bootstraps and local files, cached and shared.
import AtomicFile
import Crypto
import DiskImage
import Foundation
import LabforgeRecipe
import Logging
import Reporting

/// Turns a recipe's ``BaseImage`` into a disk on this machine, doing each download or bootstrap at
/// most once per cache: concurrent callers (tasks or processes) wait on a lock file for the first
/// one and then reuse its result.
public struct BaseImageStore: Sendable {
    /// The cache.
    public var cache: CacheDirectory
    /// Version of labforge, part of every bootstrap's cache key (a new labforge rebuilds bases).
    public var toolVersion: String
    /// Fetches upstream files.
    public var downloader: Downloader
    /// Builds Debian bases.
    public var bootstrapper: DebianBootstrapper
    /// How often a bootstrap asks the mirror whether the archives changed.
    public var archivePolicy: ArchiveCheckPolicy
    let logger: Logger

    /// Creates a store.
    /// - Parameters:
    ///   - cache: Cache directory (``CacheDirectory/default`` in the CLI unless `--cache-dir`).
    ///   - toolVersion: labforge's version.
    ///   - downloader: Download settings.
    ///   - bootstrapper: Bootstrap settings (mirror, scratch directory, log).
    ///   - archivePolicy: How often the Debian archives' `InRelease` files are checked.
    ///   - logger: Logger.
    public init(
        cache: CacheDirectory = .default, toolVersion: String, downloader: Downloader = Downloader(),
        bootstrapper: DebianBootstrapper = DebianBootstrapper(), archivePolicy: ArchiveCheckPolicy = ArchiveCheckPolicy(),
        logger: Logger = Logger(label: "labforge.bases")
    ) {
        self.cache = cache
        self.toolVersion = toolVersion
        self.downloader = downloader
        self.bootstrapper = bootstrapper
        self.archivePolicy = archivePolicy
        self.logger = logger
    }

    /// Makes `base` available locally.
    /// - Parameters:
    ///   - base: The recipe's base.
    ///   - pinnedFiles: For a bootstrap with ``DebianBootstrap/pinnedPackages``: each pinned `.deb`'s sha256 →
    ///     the verified file on this host (the recipe's artifact cache).
    ///   - progress: Receives download bytes and bootstrap steps.
    ///   - leases: Keeps the cache entry leased (shared, ``CacheLocks``) until the caller releases it, so that
    ///     `labforge cache prune` leaves it alone while a build uses it; by default it is released on return.
    /// - Returns: The disk path (never modify it), its format and identity. A Debian bootstrap of an architecture other
    ///   than amd64 gives its root tree as a tar archive instead (``BaseContent/rootTreeArchive``): libguestfs's
    ///   appliance is x86-64 and cannot run the tree's programs, so it is customized extracted, under qemu-user.
    /// - Throws: ``BasesError``.
    public func resolve(
        _ base: BaseImage, pinnedFiles: [String: String] = [:], progress: any ProgressReporter = SilentProgress(),
        leases: CacheLeases = CacheLeases()
    ) async throws -> ResolvedBase {
        switch base {
        case let .upstream(image):
            return try await resolve(image, progress: progress, leases: leases)
        case let .debianBootstrap(spec):
            return try await resolve(spec, pinnedFiles: pinnedFiles, progress: progress, leases: leases)
        case let .localFile(path, format):
            return try await resolveLocal(path: path, format: format, progress: progress, leases: leases)
        }
    }

    /// The cache key of a bootstrap with the last known state of its archives (no network; see
    /// ``checkArchive(for:now:)``).
    /// - Parameter spec: The bootstrap.
    /// - Returns: `debian-<suite>-<16 hex>`.
    public func cacheKey(for spec: DebianBootstrap) -> String {
        cacheKey(for: spec, archive: lastKnownArchiveState(for: spec))
    }

    /// The cache key of a bootstrap: suite, packages (sorted), size, mirrors, labforge version, the
    /// bootstrap's own files and package list (so a changed layout never reuses an old disk), and the
    /// sha256 of each archive's `InRelease` file (so Debian's updates and security fixes rebuild it).
    /// - Parameters:
    ///   - spec: The bootstrap.
    ///   - archive: The archives' state; `nil` when never checked.
    /// - Returns: `debian-<suite>-<16 hex>`; `debian-<suite>-<architecture>-<16 hex>` for an architecture other than
    ///   amd64 (whose keys are what they were before architectures).
    public func cacheKey(for spec: DebianBootstrap, archive: ArchiveState?) -> String {
        let lines = [
            "suite=\(spec.suite)", "packages=\(Set(spec.extraPackages).sorted().joined(separator: ","))",
            "size=\(spec.diskSizeGiB)", "mirror=\(bootstrapper.mirror)", "security=\(bootstrapper.securityMirror)",
            "labforge=\(toolVersion)", "layout=\(DebianBootstrapFiles.revision(for: spec.architecture))",
            "archive=\(archive?.keyInput ?? "unknown")",
        ] + (spec.pinnedPackages.isEmpty ? [] : ["pinned=" + spec.pinnedPackages.map(Self.keyInput).joined(separator: ",")])
            + (spec.architecture == .amd64 ? [] : ["architecture=\(spec.architecture)"])
        let inputs = lines.joined(separator: "\n")
        let hex = SHA256.hash(data: Data(inputs.utf8)).map { String(format: "%02x", $0) }.joined()
        return spec.architecture == .amd64 ? "debian-\(spec.suite)-\(hex.prefix(16))" : "debian-\(spec.suite)-\(spec.architecture)-\(hex.prefix(16))"
    }

    /// One pinned package in a bootstrap key: name, how it is chosen, and the file's sha256.
    private static func keyInput(_ request: PackageRequest) -> String {
        switch request.source {
        case .repositories: return request.name
        case .artifact(let artifact): return "\(request.name)=file:\(artifact.sha256)"
        case .repositoriesElse(let artifact): return "\(request.name)=else:\(artifact.sha256)"
        }
    }

    /// The cache key of an upstream image: its checksum.
    /// - Parameter image: The pinned image.
    /// - Returns: `sha256-<hex>` or `sha512-<hex>`.
    public func cacheKey(for image: UpstreamImage) -> String {
        "\(image.checksum.algorithm)-\(image.checksum.hex)"
    }

    /// Where a cached image would be, whether or not it exists yet.
    /// - Parameter base: Upstream or bootstrap base.
    /// - Returns: The path, or `nil` for local files (not cached).
    public func cachedPath(for base: BaseImage) -> String? {
        switch base {
        case let .upstream(image): return cache.image(cacheKey(for: image))
        case let .debianBootstrap(spec):
            let key = cacheKey(for: spec)
            return Self.content(of: spec) == .disk ? cache.image(key) : cache.rootTreeArchive(key)
        case .localFile: return nil
        }
    }

    private func resolve(
        _ spec: DebianBootstrap, pinnedFiles: [String: String], progress: any ProgressReporter, leases: CacheLeases
    ) async throws -> ResolvedBase {
        let key = cacheKey(for: spec, archive: try await checkArchive(for: spec))
        let identity = "debian-bootstrap:\(key)"
        guard Self.content(of: spec) == .disk else {
            return try await cached(key: key, identity: identity, leases: leases, content: .rootTreeArchive) { final in
                try await bootstrapper.buildRootTreeArchive(spec, pinnedFiles: pinnedFiles, output: final, progress: progress)
            }
        }
        return try await cached(key: key, identity: identity, leases: leases) { final in
            try await bootstrapper.build(spec, pinnedFiles: pinnedFiles, output: final, progress: progress)
        }
    }

    /// What a bootstrap resolves to: a disk for amd64, a root tree archive for an architecture libguestfs's x86-64
    /// appliance cannot customize.
    /// - Parameter spec: The bootstrap.
    /// - Returns: The content of its cache entry.
    public static func content(of spec: DebianBootstrap) -> BaseContent {
        spec.architecture == .amd64 ? .disk : .rootTreeArchive
    }

    private func resolve(_ image: UpstreamImage, progress: any ProgressReporter, leases: CacheLeases) async throws -> ResolvedBase {
        guard image.checksum.isWellFormed else { throw BasesError.malformedChecksum(value: image.checksum.tagged) }
        let key = cacheKey(for: image)
        return try await cached(key: key, identity: image.checksum.tagged, leases: leases) { final in
            let partial = cache.download(key)
            try await downloader.download(url: image.url, checksum: image.checksum, to: partial, subject: image.name, progress: progress)
            progress.report(ProgressEvent(subject: image.name, stage: "convert", detail: "\(image.compression.rawValue) → qcow2", completed: 0, total: 1, unit: .steps))
            try await DiskConversion.toQcow2(partial, compression: image.compression, format: image.format, output: final, scratch: cache.downloads)
            try? FileManager.default.removeItem(atPath: partial)
            progress.report(ProgressEvent(subject: image.name, stage: "convert", completed: 1, total: 1, unit: .steps, finished: true))
        }
    }

    private func resolveLocal(path: String, format: DiskFormat, progress: any ProgressReporter, leases: CacheLeases) async throws -> ResolvedBase {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        guard FileManager.default.isReadableFile(atPath: absolute) else { throw BasesError.localFileMissing(path: absolute) }
        // The same refusal as for downloads: a local qcow2 with a backing file would pull that host file into the image.
        try await DiskConversion.checkSelfContained(absolute, format: format)
        let hex = try await DedicatedThread.run(name: "labforge.bases") {
            var digest = StreamingDigest(matching: .sha256(""))
            try digest.update(contentsOf: absolute, upTo: Int64.max)
            return digest.finalize()
        }
        guard format == .vmdk else {
            return ResolvedBase(path: absolute, format: format, identity: "sha256:\(hex)", wasCached: true)
        }
        // libguestfs is only handed qcow2 or raw: convert a VMDK once, keyed by its content.
        return try await cached(key: "local-sha256-\(hex)", identity: "sha256:\(hex)", leases: leases) { final in
            try await DiskConversion.toQcow2(absolute, compression: .none, format: .vmdk, output: final, scratch: cache.downloads, keepInput: true)
        }
    }

    /// Removes temp files an interrupted run (Ctrl-C, crash) left for `key`; only called under the key's lock.
    private func removeStalePartials(of key: String) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: cache.images)) ?? []
        for name in names where name.hasPrefix(".") && name.contains(key) && name.hasSuffix(".partial") {
            try? FileManager.default.removeItem(atPath: "\(cache.images)/\(name)")
        }
    }

    /// Returns the cache entry for `key`, making it with `make` (which writes the given path) under the key's
    /// exclusive lock when it is missing (``CacheLocks/entry(_:exists:onWait:make:)``); the entry stays leased
    /// (shared) in `leases`. The finished file is made read-only, for its owner and group (0440).
    private func cached(
        key: String, identity: String, leases: CacheLeases, content: BaseContent = .disk, make: (String) async throws -> Void
    ) async throws -> ResolvedBase {
        let final = content == .disk ? cache.image(key) : cache.rootTreeArchive(key)
        try cache.prepare()
        let (lock, made) = try await cache.locks.entry(key, exists: { FileManager.default.fileExists(atPath: final) }, onWait: { [logger] in
            logger.info("waiting for another labforge process to finish \(key)")
        }) {
            removeStalePartials(of: key)
            // No fsync: a base lost in a crash is downloaded or converted again.
            try await AtomicFile.replace(final, mode: FileAccess.readOnlyDiskFileMode, sync: false) { temporary in
                try await make(temporary)
            }
        }
        leases.keep(lock)
        return ResolvedBase(path: final, format: content == .disk ? .qcow2 : .raw, identity: identity, wasCached: !made, content: content)
    }
}
