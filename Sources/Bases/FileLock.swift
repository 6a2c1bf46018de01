// A cross-process lock on a file (flock), so concurrent builds share the cache without racing.
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// An exclusive `flock(2)` lock held on an open lock file.
///
/// `flock` locks belong to the open file description, so two tasks of one process conflict just like
/// two processes do; the kernel drops the lock when the holder dies, so a crashed build never
/// leaves the cache locked.
public final class FileLock: @unchecked Sendable {
    /// The lock file.
    public let path: String
    private var descriptor: Int32

    private init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = descriptor
    }

    deinit { release() }

    /// Takes the lock, waiting (without blocking a thread) while someone else holds it.
    /// - Parameters:
    ///   - path: The lock file; created when missing.
    ///   - onWait: Called once when the lock is busy, before waiting.
    /// - Returns: The held lock; release it with ``release()`` (or let it go out of scope).
    /// - Throws: ``BasesError/lockFailed(path:reason:)``, `CancellationError`.
    public static func acquire(_ path: String, onWait: (() -> Void)? = nil) async throws -> FileLock {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw BasesError.lockFailed(path: path, reason: String(cString: strerror(errno))) }
        var waited = false
        var delay: UInt64 = 20_000_000
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let error = errno
            guard error == EWOULDBLOCK || error == EINTR else {
                close(fd)
                throw BasesError.lockFailed(path: path, reason: String(cString: strerror(error)))
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
        return FileLock(path: path, descriptor: fd)
    }

    /// Releases the lock (idempotent).
    public func release() {
        guard descriptor >= 0 else { return }
        flock(descriptor, LOCK_UN)
        close(descriptor)
        descriptor = -1
    }
}
