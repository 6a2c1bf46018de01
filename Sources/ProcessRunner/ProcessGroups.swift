// Every process group this process started and has not yet seen empty, so an interrupt can end them all.
#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// The process groups of running children. Each ``ChildProcess`` (and each long-lived child such as a
/// verification VM) runs as the leader of a group of its own, registered here from spawn until the group is
/// empty. The CLI's signal handling calls ``terminateAll()`` and, when the grace period runs out or a second
/// Ctrl-C comes, ``killAll()``: nothing a child started (mmdebstrap's apt, `xz` behind `qemu-img`) outlives it.
public enum ProcessGroups {
    private static let groups = Mutex<Set<pid_t>>([])

    /// Records a group that labforge owns.
    /// - Parameter group: The group ID (the leader's PID).
    public static func register(_ group: pid_t) {
        _ = groups.withLock { $0.insert(group) }
    }

    /// Forgets a group (its last member has exited).
    /// - Parameter group: A group given to ``register(_:)``.
    public static func unregister(_ group: pid_t) {
        _ = groups.withLock { $0.remove(group) }
    }

    /// The groups still registered.
    public static var current: Set<pid_t> { groups.withLock { $0 } }

    /// Sends SIGTERM to every registered group.
    public static func terminateAll() { signalAll(SIGTERM) }

    /// Sends SIGKILL to every registered group.
    public static func killAll() { signalAll(SIGKILL) }

    /// Sends `signal` to every registered group (async-signal-safe apart from the lock, which is never held long).
    /// - Parameter signal: The signal number.
    public static func signalAll(_ signal: Int32) {
        for group in current { kill(-group, signal) }
    }

    /// Whether any process of `group` is still alive (a zombie leader counts until it is reaped).
    /// - Parameter group: A process group ID.
    /// - Returns: False once `kill(-group, 0)` says no such group.
    public static func isAlive(_ group: pid_t) -> Bool {
        kill(-group, 0) == 0 || errno == EPERM
    }
}
