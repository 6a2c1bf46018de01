// Downloads pinned artifacts (the ttyd .deb) once, checks their sha256 and keeps them in a cache directory.
import AtomicFile
import Bases
import Crypto
import DiskImage
import Foundation
import LabforgeRecipe
import Logging
import Reporting

/// A directory of verified downloads, one folder per sha256.
public struct ArtifactCache: Sendable {
    /// The cache directory.
    public let directory: String
    /// The cache's locks: `<sha256>` guards `<directory>/<sha256>/` (``CacheLocks``).
    public let locks: CacheLocks
    private let downloader: Downloader

    /// Creates a cache.
    /// - Parameters:
    ///   - directory: Where files go; `$XDG_CACHE_HOME/labforge/artifacts` or `~/.cache/labforge/artifacts` by default.
    ///   - locks: The cache's locks; by default those of the cache root `directory` is in.
    ///   - downloader: Fetches missing files (retries, resume, idle timeout).
    public init(
        directory: String? = nil, locks: CacheLocks? = nil,
        downloader: Downloader = Downloader(logger: Logger(label: "labforge.artifacts"))
    ) {
        self.downloader = downloader
        if let directory {
            self.directory = directory
        } else {
            // The same root as the base cache (`CacheDirectory.default`): `$XDG_CACHE_HOME/labforge`, else
            // `~/.cache/labforge`.
            let environment = ProcessInfo.processInfo.environment
            let root = environment["XDG_CACHE_HOME"].flatMap { $0.hasPrefix("/") ? $0 + "/labforge" : nil } ?? (NSHomeDirectory() + "/.cache/labforge")
            self.directory = root + "/artifacts"
        }
        self.locks = locks ?? CacheLocks(root: URL(fileURLWithPath: self.directory).deletingLastPathComponent().path)
    }

    /// The cached file for `artifact`, downloading and verifying it first when missing.
    /// - Parameters:
    ///   - artifact: A pinned artifact.
    ///   - leases: Keeps the entry leased (shared) until the caller releases it; by default released on return.
    /// - Returns: Path of the verified file.
    /// - Throws: ``CustomizeError/downloadFailed(url:reason:)``, ``CustomizeError/checksumMismatch(url:expected:actual:)``.
    public func fetch(_ artifact: PinnedArtifact, leases: CacheLeases = CacheLeases()) async throws -> String {
        let path = "\(directory)/\(artifact.sha256)/\(artifact.fileName)"
        let lock: FileLock
        do {
            try FileAccess.makePrivateDirectory(directory)
            lock = try await locks.entry(artifact.sha256, exists: {
                FileManager.default.fileExists(atPath: path) && (try? Self.sha256(ofFile: path)) == artifact.sha256
            }) {
                try await download(artifact, to: path)
            }.lock
        } catch let error as DiskImageError {
            throw CustomizeError.downloadFailed(url: artifact.url, reason: "cannot use the artifact cache: \(error)")
        }
        leases.keep(lock)
        return path
    }

    /// Downloads `artifact` to `path` (through a temp file renamed into place), checking its sha256.
    private func download(_ artifact: PinnedArtifact, to path: String) async throws {
        let folder = "\(directory)/\(artifact.sha256)"
        do {
            try FileAccess.makePrivateDirectory(directory)
            try FileAccess.makePrivateDirectory(folder)
        } catch {
            throw CustomizeError.downloadFailed(url: artifact.url, reason: "cannot create \(folder): \(error)")
        }
        do {
            // No fsync: an artifact lost in a crash is downloaded again (its sha256 is checked before any use).
            try await AtomicFile.replace(path, sync: false) { partial in
                Interruption.register(partial)
                defer { Interruption.unregister(partial) }
                try await fetch(artifact, to: partial)
            }
        } catch let error as AtomicFileError {
            throw CustomizeError.downloadFailed(url: artifact.url, reason: "cannot store it at \(path): \(error.detail)")
        }
    }

    /// Downloads `artifact` to `partial` with the one downloader (retries with Range resume, an idle timeout, the
    /// checksum checked as bytes arrive), its failures told as ``CustomizeError``s.
    private func fetch(_ artifact: PinnedArtifact, to partial: String) async throws {
        do {
            try await downloader.download(
                url: artifact.url, checksum: .sha256(artifact.sha256), to: partial, subject: artifact.fileName, progress: SilentProgress())
        } catch let error as BasesError {
            switch error {
            case let .httpStatus(url, status, _):
                throw CustomizeError.downloadFailed(url: url, reason: "HTTP \(status)")
            case let .checksumMismatch(url, expected, got):
                throw CustomizeError.checksumMismatch(
                    url: url, expected: expected.replacingOccurrences(of: "sha256:", with: ""), actual: got.replacingOccurrences(of: "sha256:", with: ""))
            case let .downloadFailed(url, _, reason):
                throw CustomizeError.downloadFailed(url: url, reason: reason)
            default:
                throw CustomizeError.downloadFailed(url: artifact.url, reason: error.description)
            }
        }
    }

    /// The hex sha256 of a file, read in 1 MiB chunks.
    static func sha256(ofFile path: String) throws -> String {
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        var hasher = SHA256()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            hasher.update(data: chunk)
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}
