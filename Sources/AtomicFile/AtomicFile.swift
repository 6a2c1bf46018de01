// The one way labforge replaces a file: written whole beside it under a hidden temporary name, then renamed over it.
import CLinux
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Replaces files so that a reader sees the old content or the new, never a part: the bytes go to a hidden temporary
/// file in the target's directory (`.<name>.<16 hex digits>.partial`, the only temporary name labforge uses), which is
/// given its mode, flushed to disk with `fsync(2)`, and renamed over the target with `rename(2)`. On any failure the
/// temporary file is removed and the target is left as it was.
///
/// Nothing here registers the temporary path for removal on an interrupt: a caller that writes for long registers the
/// path it is handed (``replace(_:mode:sync:replacingDirectory:fill:)-(_,_,_,_,(String)throws->T)``) with its own
/// interrupt handling.
public enum AtomicFile {
    /// The mode of a file written without one: readable by everyone, writable by its owner.
    public static let defaultMode: mode_t = 0o644

    /// Writes `data` to `path`, replacing what was there. The temporary file is created with `O_EXCL` and `mode`
    /// (set exactly, whatever the umask), so at no moment does a file holding the bytes have wider permissions.
    /// - Parameters:
    ///   - data: The new content.
    ///   - path: The target; its directory must exist.
    ///   - mode: The permission bits of the new file, e.g. `0o600` for a secret.
    /// - Throws: ``AtomicFileError/writeFailed(path:step:temporary:reason:)`` naming `path` and the failed step.
    public static func write(_ data: Data, to path: String, mode: mode_t = defaultMode) throws(AtomicFileError) {
        let temporary = temporaryPath(for: path)
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard descriptor >= 0 else { throw .system(path: path, step: "create", temporary: temporary) }
        do throws(AtomicFileError) {
            defer { close(descriptor) }
            // The umask can only narrow the mode; make it exact so the owner can replace the file next time.
            guard fchmod(descriptor, mode) == 0 else { throw .system(path: path, step: "chmod \(String(mode, radix: 8))", temporary: temporary) }
            try writeAll(data, to: descriptor, path: path, temporary: temporary)
            guard fsync(descriptor) == 0 else { throw .system(path: path, step: "fsync", temporary: temporary) }
            guard rename(temporary, path) == 0 else { throw .system(path: path, step: "rename", temporary: temporary) }
        } catch {
            unlink(temporary)
            throw error
        }
    }

    /// Makes `path` by handing `fill` a temporary path beside it to create (a file a tool writes, a copy, a
    /// directory tree), then renames that over `path`. For outputs too large to hold in memory.
    /// - Parameters:
    ///   - path: The target; its directory must exist.
    ///   - mode: Permission bits set on what `fill` made before the rename; `nil` leaves them as `fill` left them.
    ///   - sync: Whether a regular file is flushed to disk (`fsync(2)`) before the rename. Pass `false` for a file
    ///     that is rebuilt when lost (a cache entry) and large enough that the flush costs seconds.
    ///   - replacingDirectory: Whether a directory tree may replace an existing, non-empty directory at `path`: the
    ///     two are swapped in one step (`renameat2(RENAME_EXCHANGE)`), then the old tree is removed. Without it, a
    ///     tree replaces only an empty directory. The caller decides first that the old directory may go.
    ///   - fill: Creates the temporary path it is given; its result is returned.
    /// - Returns: What `fill` returned.
    /// - Throws: What `fill` threw, or ``AtomicFileError/writeFailed(path:step:temporary:reason:)``; either way the
    ///   temporary path is removed and `path` is unchanged.
    @discardableResult
    public static func replace<T>(
        _ path: String, mode: mode_t? = nil, sync: Bool = true, replacingDirectory: Bool = false, fill: (String) throws -> T
    ) throws -> T {
        let temporary = temporaryPath(for: path)
        do {
            let result = try fill(temporary)
            try finish(temporary, as: path, mode: mode, sync: sync, replacingDirectory: replacingDirectory)
            return result
        } catch {
            removeTemporary(temporary)
            throw error
        }
    }

    /// ``replace(_:mode:sync:replacingDirectory:fill:)-(_,_,_,_,(String)throws->T)`` for a `fill` that awaits (a tool
    /// run as a child process, a download). Cancellation removes the temporary path like any other failure.
    /// - Parameters:
    ///   - path: The target; its directory must exist.
    ///   - mode: Permission bits set on what `fill` made before the rename; `nil` leaves them as `fill` left them.
    ///   - sync: Whether a regular file is flushed to disk (`fsync(2)`) before the rename.
    ///   - replacingDirectory: Whether a tree may replace an existing, non-empty directory (swapped, then removed).
    ///   - fill: Creates the temporary path it is given; its result is returned.
    /// - Returns: What `fill` returned.
    /// - Throws: What `fill` threw, or ``AtomicFileError/writeFailed(path:step:temporary:reason:)``.
    @discardableResult
    public static func replace<T>(
        _ path: String, mode: mode_t? = nil, sync: Bool = true, replacingDirectory: Bool = false, fill: (String) async throws -> T
    ) async throws -> T {
        let temporary = temporaryPath(for: path)
        do {
            let result = try await fill(temporary)
            try finish(temporary, as: path, mode: mode, sync: sync, replacingDirectory: replacingDirectory)
            return result
        } catch {
            removeTemporary(temporary)
            throw error
        }
    }

    /// The temporary name for a new `path`: hidden, in the same directory (so the rename stays on one file system
    /// and is atomic), unique (64 random bits). Cache cleanups recognise it by its leading dot and `.partial` suffix.
    /// - Parameter path: The target.
    /// - Returns: `<directory>/.<name>.<16 hex digits>.partial`.
    public static func temporaryPath(for path: String) -> String {
        let url = URL(fileURLWithPath: path)
        let random = String(UInt64.random(in: 0...UInt64.max), radix: 16)
        let suffix = String(repeating: "0", count: 16 - random.count) + random
        return url.deletingLastPathComponent().path + "/.\(url.lastPathComponent).\(suffix).partial"
    }

    /// Whether a directory entry's name is one of ``temporaryPath(for:)``'s (left by a run that was killed).
    /// - Parameter name: A file name (no directory).
    /// - Returns: `true` for `.<name>.<16 hex digits>.partial`.
    public static func isTemporaryName(_ name: String) -> Bool {
        guard name.hasPrefix("."), name.hasSuffix(".partial") else { return false }
        let stem = name.dropLast(".partial".count)
        guard let dot = stem.lastIndex(of: "."), dot > stem.startIndex else { return false }
        let random = stem[stem.index(after: dot)...]
        return random.count == 16 && random.allSatisfy(\.isHexDigit)
    }

    private static func writeAll(_ data: Data, to descriptor: Int32, path: String, temporary: String) throws(AtomicFileError) {
        var offset = 0
        while offset < data.count {
            let written = data.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                throw .system(path: path, step: "write", temporary: temporary)
            }
            offset += written
        }
    }

    /// Mode, flush and rename of what `fill` made.
    private static func finish(_ temporary: String, as path: String, mode: mode_t?, sync: Bool, replacingDirectory: Bool) throws(AtomicFileError) {
        var info = stat()
        guard lstat(temporary, &info) == 0 else { throw .system(path: path, step: "stat (nothing was written there)", temporary: temporary) }
        if let mode, chmod(temporary, mode) != 0 {
            throw .system(path: path, step: "chmod \(String(mode, radix: 8))", temporary: temporary)
        }
        if sync, info.st_mode & S_IFMT == S_IFREG {
            let descriptor = open(temporary, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else { throw .system(path: path, step: "open for fsync", temporary: temporary) }
            defer { close(descriptor) }
            guard fsync(descriptor) == 0 else { throw .system(path: path, step: "fsync", temporary: temporary) }
        }
        var existing = stat()
        if replacingDirectory, info.st_mode & S_IFMT == S_IFDIR, lstat(path, &existing) == 0, existing.st_mode & S_IFMT == S_IFDIR {
            // One step, so a reader sees the old tree or the new one; the old one is then at `temporary`.
            guard labforge_exchange_paths(temporary, path) == 0 else { throw .system(path: path, step: "exchange with the old directory", temporary: temporary) }
            removeTemporary(temporary)
            return
        }
        guard rename(temporary, path) == 0 else { throw .system(path: path, step: "rename", temporary: temporary) }
    }

    /// Removes a failed write's temporary file or tree (or the tree a directory replaced); nothing to report when it
    /// is already gone, and a tree that cannot be removed is left under its hidden temporary name.
    private static func removeTemporary(_ temporary: String) {
        var info = stat()
        guard lstat(temporary, &info) == 0 else { return }
        if info.st_mode & S_IFMT == S_IFDIR {
            try? FileManager.default.removeItem(atPath: temporary)
        } else {
            unlink(temporary)
        }
    }
}
