// Finished images in the cache, content-addressed by fingerprint: the final disk and its verification,
// shared by every output directory and by concurrent builds (one lock per fingerprint).
import Bases
import DiskImage
import Foundation

/// `<cache>/images/<fingerprint>.qcow2` (final disk), `<fingerprint>.verification.json` (a passed
/// verification), `<fingerprint>.spdx.json` (its SBOM), `<fingerprint>.desktop.png` / `.terminal.txt` (pictures the
/// verification took), all guarded by `<cache>/locks/<fingerprint>.lock` (``CacheLocks``); `<cache>/snapshots/` for
/// the step cache and `<cache>/artifacts/` for pinned downloads.
public struct ImageCache: Sendable {
    /// The cache root.
    public var root: String

    /// Uses `root` (created on first use).
    /// - Parameter root: The cache root (`--cache-dir`).
    public init(root: String) {
        self.root = root
    }

    /// Finished disks and verifications.
    public var images: String { root + "/images" }
    /// Step-cache snapshots.
    public var snapshots: String { root + "/snapshots" }
    /// Pinned artifacts.
    public var artifacts: String { root + "/artifacts" }
    /// The locks of every entry.
    public var locks: CacheLocks { CacheLocks(root: root) }

    func disk(_ fingerprint: ImageFingerprint) -> String { "\(images)/\(fingerprint.hex).qcow2" }
    func verification(_ fingerprint: ImageFingerprint) -> String { "\(images)/\(fingerprint.hex).verification.json" }
    func sbom(_ fingerprint: ImageFingerprint) -> String { "\(images)/\(fingerprint.hex).spdx.json" }
    /// A private directory for one build's overlay of `fingerprint`, beside the disk it becomes (same filesystem: the
    /// finalized disk is renamed into place).
    func workDirectory(_ fingerprint: ImageFingerprint) -> String { "\(images)/.\(fingerprint.hex).work-\(UUID().uuidString.prefix(8))" }
    /// A picture verification took (`desktop.png`, `terminal.txt`), kept with the passed verification.
    func picture(_ fingerprint: ImageFingerprint, _ name: String) -> String { "\(images)/\(fingerprint.hex).\(name)" }

    /// Creates the directories, owner only (0700; an existing root is left as it is, see ``FileAccess``).
    /// - Throws: ``PipelineError/cacheUnusable(path:reason:)``.
    func prepare() throws {
        do {
            try FileAccess.makePrivateDirectory(root, tightenExisting: false)
            try FileAccess.makePrivateDirectory(images)
            try FileAccess.makePrivateDirectory(snapshots)
        } catch {
            throw PipelineError.cacheUnusable(path: root, reason: "\(error)")
        }
    }

    /// Marks an entry as used now (prune keeps recently used entries).
    static func touch(_ path: String) {
        _ = utimes(path, nil)
    }
}
