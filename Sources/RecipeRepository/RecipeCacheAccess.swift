// Who may write the compiled-recipe cache: labforge runs the programs it holds, so only the user running labforge.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The ownership and permission rule of the compiled-recipe cache, checked before a program from it runs.
///
/// A program in `<cache>/recipes/<key>/` runs as the user running labforge, so whoever can write there can run code
/// as that user. The cache root may be shared (`/tmp`: root-owned, sticky, so others cannot rename what is ours);
/// `recipes/`, each entry and each file in an entry must be owned by the user running labforge and not be
/// writable by group or others. Unlike git, labforge does not accept the files of the user who ran `sudo`
/// (`SUDO_UID`) under root: root's sandbox could not even read a 0700 entry of theirs (bubblewrap binds it from inside
/// its user namespace); `sudo labforge` wants a cache of root's own (chown it, or give another `--cache-dir`).
enum RecipeCacheAccess {
    /// Checks the cache root (`--cache-dir`): owned by this user or root, and not writable by others unless sticky.
    /// - Parameter path: The cache root.
    /// - Throws: ``RecipeRepositoryError/cacheNotPrivate(path:problem:fix:)``.
    static func checkRoot(_ path: String) throws {
        var info = stat()
        guard stat(path, &info) == 0 else { return }  // not made yet: labforge makes it 0700
        let sticky = info.st_mode & mode_t(S_ISVTX) != 0
        if info.st_uid != geteuid() && info.st_uid != 0 {
            throw ownedByOther(path, info.st_uid, fix: "give a --cache-dir of your own")
        }
        if info.st_mode & 0o022 != 0 && !sticky {
            throw RecipeRepositoryError.cacheNotPrivate(
                path: path, problem: "is writable by group or others (mode \(modeText(info.st_mode))) and not sticky: they could replace its recipes/ folder",
                fix: "chmod go-w \(path), or give a --cache-dir only you can write")
        }
    }

    /// Checks a directory labforge owns in the cache (`recipes/`, an entry): this user's, not group/other-writable.
    /// - Parameter path: The directory.
    /// - Throws: ``RecipeRepositoryError/cacheNotPrivate(path:problem:fix:)``.
    static func checkDirectory(_ path: String) throws {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            throw RecipeRepositoryError.cacheNotPrivate(path: path, problem: "is not a directory (a symbolic link or a file)", fix: "remove it (labforge makes it again)")
        }
        try checkOwnerAndMode(path, info)
    }

    /// Checks a file of an entry (the program, its record): a regular file, this user's, not group/other-writable.
    /// - Parameter path: The file.
    /// - Throws: ``RecipeRepositoryError/cacheNotPrivate(path:problem:fix:)``; a missing file is
    ///   ``RecipeRepositoryError/cacheEntryChanged(entry:reason:)``.
    static func checkFile(_ path: String) throws {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            let entry = URL(fileURLWithPath: path).deletingLastPathComponent().path
            throw RecipeRepositoryError.cacheEntryChanged(entry: entry, reason: "\(URL(fileURLWithPath: path).lastPathComponent) is missing")
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw RecipeRepositoryError.cacheNotPrivate(path: path, problem: "is not a regular file (a symbolic link?)", fix: "remove its entry to recompile")
        }
        try checkOwnerAndMode(path, info)
    }

    private static func checkOwnerAndMode(_ path: String, _ info: stat) throws {
        if info.st_uid != geteuid() {
            throw ownedByOther(path, info.st_uid, fix: "remove it (rm -r \(path)) to recompile, or give a --cache-dir of your own")
        }
        if info.st_mode & 0o022 != 0 {
            throw RecipeRepositoryError.cacheNotPrivate(
                path: path, problem: "is writable by group or others (mode \(modeText(info.st_mode)))",
                fix: "chmod go-w \(path) if nobody else wrote to it, else remove it; or give a --cache-dir only you can write")
        }
    }

    private static func ownedByOther(_ path: String, _ owner: uid_t, fix: String) -> RecipeRepositoryError {
        .cacheNotPrivate(path: path, problem: "is owned by uid \(owner), not by you (uid \(geteuid()))", fix: fix)
    }

    private static func modeText(_ mode: mode_t) -> String {
        "0" + String(mode & 0o7777, radix: 8)
    }
}
