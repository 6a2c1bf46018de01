// A cross-process lock on a file (flock), so concurrent builds and `cache prune` share the cache without racing.
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A `flock(2)` lock held on an open lock file: exclusive (one holder) or shared (many readers).
///
/// `flock` locks belong to the open file description, so two tasks of one process conflict just like
/// two processes do; the kernel drops the lock when the holder dies, so a crashed build never
/// leaves the cache locked. Lock files are never deleted (a deleted lock file would let two holders lock
/// two different inodes).
public final class FileLock: @unchecked Sendable {
    /// How a lock is held.
    public enum Mode: Sendable {
        /// One holder: whoever creates, replaces or removes the guarded thing.
        case exclusive
        /// Many holders: whoever uses the guarded thing while it must stay as it is.
        case shared

        var operation: Int32 { self == .exclusive ? LOCK_EX : LOCK_SH }
    }

    /// The lock file.
    public let path: String
    private let state = NSLock()
    private var descriptor: Int32
    /// How the lock is held now.
    public private(set) var mode: Mode

    private init(path: String, descriptor: Int32, mode: Mode) {
        self.path = path
        self.descriptor = descriptor
        self.mode = mode
    }

    deinit { release() }

    /// Takes the lock, waiting (without blocking a thread) while a conflicting holder has it.
    /// - Parameters:
    ///   - path: The lock file; created when missing.
    ///   - mode: Exclusive (default) or shared.
    ///   - onWait: Called once when the lock is busy, before waiting.
    /// - Returns: The held lock; release it with ``release()`` (or let it go out of scope).
    /// - Throws: ``DiskImageError/lockFailed(path:reason:)``, `CancellationError`.
    public static func acquire(_ path: String, mode: Mode = .exclusive, onWait: (() -> Void)? = nil) async throws -> FileLock {
        let fd = try open(path)
        var waited = false
        var delay: UInt64 = 20_000_000
        while true {
            do {
                if try lock(fd, mode, path: path) { break }
            } catch {
                close(fd)
                throw error
            }
            if !waited {
                waited = true
                onWait?()
            }
            do { try await Task.sleep(nanoseconds: delay) } catch {
                close(fd)
                throw error
            }
            delay = min(delay * 2, 500_000_000)
        }
        return FileLock(path: path, descriptor: fd, mode: mode)
    }

    /// Takes the lock only when nobody holds a conflicting one right now.
    /// - Parameters:
    ///   - path: The lock file; created when missing.
    ///   - mode: Exclusive (default) or shared.
    /// - Returns: The held lock, or nil when it is busy.
    /// - Throws: ``DiskImageError/lockFailed(path:reason:)``.
    public static func attempt(_ path: String, mode: Mode = .exclusive) throws -> FileLock? {
        let fd = try open(path)
        do {
            guard try lock(fd, mode, path: path) else {
                close(fd)
                return nil
            }
        } catch {
            close(fd)
            throw error
        }
        return FileLock(path: path, descriptor: fd, mode: mode)
    }

    /// Turns a held exclusive lock into a shared one, atomically (the kernel converts it under one spinlock, so no
    /// other exclusive holder can slip in between): the creator of an entry goes on using it alongside others.
    public func downgrade() {
        state.withLock {
            guard descriptor >= 0, mode == .exclusive else { return }
            flock(descriptor, LOCK_SH)
            mode = .shared
        }
    }

    /// Releases the lock (idempotent).
    public func release() {
        state.withLock {
            guard descriptor >= 0 else { return }
            flock(descriptor, LOCK_UN)
            close(descriptor)
            descriptor = -1
        }
    }

    private static func open(_ path: String) throws -> Int32 {
        let fd = Glibc.open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw DiskImageError.lockFailed(path: path, reason: String(cString: strerror(errno))) }
        return fd
    }

    /// One non-blocking attempt: true when taken, false when busy.
    private static func lock(_ fd: Int32, _ mode: Mode, path: String) throws -> Bool {
        if flock(fd, mode.operation | LOCK_NB) == 0 { return true }
        let error = errno
        guard error == EWOULDBLOCK || error == EINTR else {
            throw DiskImageError.lockFailed(path: path, reason: String(cString: strerror(error)))
        }
        return false
    }
}
