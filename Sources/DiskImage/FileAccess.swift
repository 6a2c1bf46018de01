// Who may read what labforge writes: caches private to the user, disk files not readable by other users.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The permission policy of labforge's files, in one place.
///
/// - Cache directories (`<cache>/bases`, `images`, `snapshots`, `artifacts`, and the cache root when labforge creates
///   it) are 0700: base images, snapshots and finished disks hold whole guest file systems, and downloads may be
///   licensed. An existing cache root is left as it is (it may be a shared parent such as `/tmp`); the directories
///   labforge owns below it are tightened to 0700 when they are wider.
/// - Files holding a disk's contents — finished disks, step snapshots, the OCI layer blob — are 0640: the owner and
///   the owner's group (a CI or deploy group) may read them, other users may not. Cached bases stay read-only, 0440.
/// - The output tree's directories (`images/<name>/<version>/`), manifests, summaries and the catalog keep the usual
///   0755/0644: they are meant to be served and hold no secrets.
public enum FileAccess {
    /// Mode of private directories.
    public static let privateDirectoryMode: mode_t = 0o700
    /// Mode of files holding a disk's contents.
    public static let diskFileMode: mode_t = 0o640
    /// Mode of finished, read-only cached base images.
    public static let readOnlyDiskFileMode: mode_t = 0o440

    /// Creates `path` and its missing parents as 0700 directories; an existing `path` is tightened to 0700 when
    /// `tightenExisting` is set (directories labforge owns), else left alone.
    /// - Parameters:
    ///   - path: The directory.
    ///   - tightenExisting: Whether an existing directory with group or other permissions is made 0700.
    /// - Throws: ``DiskImageError/directoryUnusable(path:reason:)``.
    public static func makePrivateDirectory(_ path: String, tightenExisting: Bool = true) throws {
        var info = stat()
        if stat(path, &info) == 0 {
            guard info.st_mode & S_IFMT == S_IFDIR else { throw DiskImageError.directoryUnusable(path: path, reason: "not a directory") }
            if tightenExisting, info.st_mode & 0o077 != 0, chmod(path, privateDirectoryMode) != 0 {
                throw DiskImageError.directoryUnusable(path: path, reason: "chmod 700: \(String(cString: strerror(errno)))")
            }
            return
        }
        let parent = URL(fileURLWithPath: path).deletingLastPathComponent().path
        if parent != path, !parent.isEmpty, stat(parent, &info) != 0 {
            try makePrivateDirectory(parent, tightenExisting: false)
        }
        if mkdir(path, privateDirectoryMode) != 0, errno != EEXIST {
            throw DiskImageError.directoryUnusable(path: path, reason: "mkdir: \(String(cString: strerror(errno)))")
        }
        // mkdir's mode passes through the umask, which can only remove bits; set it exactly.
        if chmod(path, privateDirectoryMode) != 0 {
            throw DiskImageError.directoryUnusable(path: path, reason: "chmod 700: \(String(cString: strerror(errno)))")
        }
    }

    /// Sets a file's mode (e.g. ``diskFileMode`` on a finished disk before it is renamed into place).
    /// - Parameters:
    ///   - path: The file.
    ///   - mode: The permission bits.
    /// - Throws: ``DiskImageError/commandFailed(command:status:message:)`` naming the chmod.
    public static func setMode(_ path: String, _ mode: mode_t) throws {
        guard chmod(path, mode) == 0 else {
            throw DiskImageError.commandFailed(command: "chmod \(String(mode, radix: 8)) \(path)", status: errno, message: String(cString: strerror(errno)))
        }
    }
}
