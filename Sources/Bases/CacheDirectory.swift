// Where bases live on disk: `$XDG_CACHE_HOME/labforge` (or a given directory) and its layout.
import DiskImage
import Foundation

/// The cache root and the paths of entries under it.
///
/// Layout: `bases/images/<key>.qcow2` (finished, read-only), `bases/downloads/<key>.download`
/// (partial, resumable), `bases/archives/<suite>-<hash>.json` (InRelease digests); the lock of `<key>`, which
/// guards its image and its download, is `locks/<key>.lock` like every cache entry's (``CacheLocks``).
public struct CacheDirectory: Sendable, Equatable {
    /// The cache root.
    public var root: String

    /// Uses `root` as the cache root.
    /// - Parameter root: Directory; created on first use.
    public init(root: String) {
        self.root = root
    }

    /// `$XDG_CACHE_HOME/labforge`, else `$HOME/.cache/labforge`.
    public static var `default`: CacheDirectory {
        let environment = ProcessInfo.processInfo.environment
        if let xdg = environment["XDG_CACHE_HOME"], xdg.hasPrefix("/") { return CacheDirectory(root: xdg + "/labforge") }
        let home = environment["HOME"] ?? FileManager.default.homeDirectoryForCurrentUser.path
        return CacheDirectory(root: home + "/.cache/labforge")
    }

    var images: String { root + "/bases/images" }
    var downloads: String { root + "/bases/downloads" }
    /// The locks of every cache entry.
    public var locks: CacheLocks { CacheLocks(root: root) }
    /// The last known state of the Debian archives bootstraps install from.
    var archives: String { root + "/bases/archives" }

    /// The finished image for `key`.
    func image(_ key: String) -> String { "\(images)/\(key).qcow2" }
    /// The finished root tree archive (tar) for `key` (a bootstrap of an architecture handed over as a tree).
    func rootTreeArchive(_ key: String) -> String { "\(images)/\(key).tar" }
    /// The partial download for `key`.
    func download(_ key: String) -> String { "\(downloads)/\(key).download" }

    /// Creates the directories, owner only (0700): the root when it is missing (an existing root is left as it is),
    /// `bases/` and everything below it always (tightened when an older labforge left them wider).
    /// - Throws: ``BasesError/cacheUnusable(path:reason:)``.
    public func prepare() throws {
        do {
            try FileAccess.makePrivateDirectory(root, tightenExisting: false)
        } catch {
            throw BasesError.cacheUnusable(path: root, reason: "\(error)")
        }
        for directory in [root + "/bases", images, downloads, archives, locks.directory] {
            do {
                try FileAccess.makePrivateDirectory(directory)
            } catch {
                throw BasesError.cacheUnusable(path: directory, reason: "\(error)")
            }
        }
    }
}
