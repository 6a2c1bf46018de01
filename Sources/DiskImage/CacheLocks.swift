// The one lock discipline of labforge's cache: every entry has one lock file, used the same way by
// bases, downloads, pinned artifacts, step snapshots, finished images and `labforge cache prune`.
import Foundation

/// The locks of a cache: an entry is named by a key (a bootstrap key, a checksum, a fingerprint, a step key)
/// and guarded by `<cache root>/locks/<key>.lock`, whatever directory its files live in.
///
/// - A build that **uses** an entry holds it shared until the build ends, so it cannot vanish underneath it.
/// - Whoever **makes** or replaces an entry holds it exclusive while writing, then keeps it shared
///   (``entry(_:exists:onWait:make:)``).
/// - `cache prune` removes an entry only while holding it exclusive, taken without waiting: an entry in use is kept.
///
/// Entry files are named `<key>` or `<key>.<suffix…>` (a leading dot marks a temp file of the key); ``key(ofEntry:)``
/// reads the key back from a file name.
public struct CacheLocks: Sendable, Equatable {
    /// `<cache root>/locks`.
    public var directory: String

    /// The locks of the cache at `root`.
    /// - Parameter root: The cache root.
    public init(root: String) {
        directory = root + "/locks"
    }

    /// The lock file of `key`.
    /// - Parameter key: An entry key (no `/`).
    /// - Returns: `<root>/locks/<key>.lock`.
    public func path(_ key: String) -> String { "\(directory)/\(key).lock" }

    /// The key of an entry file or directory name: the name without leading dots, up to its first dot.
    /// - Parameter name: e.g. `<fingerprint>.verification.json`, `.<key>.<uuid>.partial`, `<step key>.qcow2`.
    /// - Returns: The key.
    public static func key(ofEntry name: String) -> String {
        let trimmed = name.drop { $0 == "." }
        return String(trimmed.prefix { $0 != "." })
    }

    /// Holds `key` shared: the entry stays as it is while the lock is held.
    /// - Parameters:
    ///   - key: The entry key.
    ///   - onWait: Called once when someone is writing or removing the entry.
    /// - Returns: The held lock.
    /// - Throws: ``DiskImageError/lockFailed(path:reason:)`` or ``DiskImageError/directoryUnusable(path:reason:)``, `CancellationError`.
    public func use(_ key: String, onWait: (() -> Void)? = nil) async throws -> FileLock {
        try FileAccess.makePrivateDirectory(directory)
        return try await FileLock.acquire(path(key), mode: .shared, onWait: onWait)
    }

    /// Holds `key` exclusive, to write, replace or remove the entry.
    /// - Parameters:
    ///   - key: The entry key.
    ///   - onWait: Called once when someone else holds it.
    /// - Returns: The held lock.
    /// - Throws: ``DiskImageError/lockFailed(path:reason:)`` or ``DiskImageError/directoryUnusable(path:reason:)``, `CancellationError`.
    public func own(_ key: String, onWait: (() -> Void)? = nil) async throws -> FileLock {
        try FileAccess.makePrivateDirectory(directory)
        return try await FileLock.acquire(path(key), mode: .exclusive, onWait: onWait)
    }

    /// Holds `key` exclusive only when nobody uses or writes the entry right now (prune, an optional snapshot).
    /// - Parameter key: The entry key.
    /// - Returns: The held lock, or nil when the entry is busy.
    /// - Throws: ``DiskImageError/lockFailed(path:reason:)`` or ``DiskImageError/directoryUnusable(path:reason:)``.
    public func ownIfFree(_ key: String) throws -> FileLock? {
        try FileAccess.makePrivateDirectory(directory)
        return try FileLock.attempt(path(key), mode: .exclusive)
    }

    /// Uses the entry `key`, making it first when it is missing: ``claim(_:exists:onWait:)``, `make` under the
    /// exclusive lock, and the lock turned shared. The caller holds the returned lock for as long as it uses the entry.
    /// - Parameters:
    ///   - key: The entry key.
    ///   - exists: Whether the finished entry is there (finished entries appear only by rename).
    ///   - onWait: Called once when another process holds the entry exclusive.
    ///   - make: Writes the entry; called at most once, under the exclusive lock.
    /// - Returns: The shared lock and whether this call made the entry.
    /// - Throws: Lock errors and what `make` throws (the lock is then released).
    public func entry(
        _ key: String, exists: () -> Bool, onWait: (() -> Void)? = nil, make: () async throws -> Void
    ) async throws -> (lock: FileLock, made: Bool) {
        switch try await claim(key, exists: exists, onWait: onWait) {
        case .existing(let lock):
            return (lock, false)
        case .toMake(let owned):
            do {
                try await make()
            } catch {
                owned.release()
                throw error
            }
            owned.downgrade()
            return (owned, true)
        }
    }

    /// Claims the entry `key`: the shared lock when it exists; when missing, the exclusive lock after looking again
    /// (another process may have made it meanwhile). Whoever gets ``CacheClaim/toMake(_:)`` writes the entry, then
    /// calls `downgrade()` on the lock (or `release()` when it gave up): the steps of making it may be apart.
    /// - Parameters:
    ///   - key: The entry key.
    ///   - exists: Whether the finished entry is there (finished entries appear only by rename).
    ///   - onWait: Called once when another process holds the entry exclusive.
    /// - Returns: The claim.
    /// - Throws: Lock errors.
    public func claim(_ key: String, exists: () -> Bool, onWait: (() -> Void)? = nil) async throws -> CacheClaim {
        let shared = try await use(key, onWait: onWait)
        if exists() { return .existing(shared) }
        shared.release()  // flock cannot upgrade without a window: release, then take it exclusive and look again
        let owned = try await own(key, onWait: onWait)
        if exists() {
            owned.downgrade()
            return .existing(owned)
        }
        return .toMake(owned)
    }
}

/// What ``CacheLocks/claim(_:exists:onWait:)`` gave.
public enum CacheClaim: Sendable {
    /// The entry exists; the lock is held shared.
    case existing(FileLock)
    /// The entry is missing and this caller makes it; the lock is held exclusive.
    case toMake(FileLock)
}

/// Cache entries a build holds shared until it ends (a base, artifacts, a snapshot chain, its finished image).
public final class CacheLeases: @unchecked Sendable {
    private let state = NSLock()
    private var locks: [FileLock] = []

    /// No leases yet.
    public init() {}

    /// Keeps `lock` until ``releaseAll()``.
    /// - Parameter lock: A held lock.
    public func keep(_ lock: FileLock) {
        state.withLock { locks.append(lock) }
    }

    /// Keeps every lock of `other` too.
    /// - Parameter other: Leases whose locks move here.
    public func keep(_ other: CacheLeases) {
        let moved = other.state.withLock {
            defer { other.locks = [] }
            return other.locks
        }
        state.withLock { locks += moved }
    }

    /// Releases every lock.
    public func releaseAll() {
        let held = state.withLock {
            defer { locks = [] }
            return locks
        }
        for lock in held.reversed() { lock.release() }
    }

    deinit { releaseAll() }
}
