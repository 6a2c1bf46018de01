// Everything labforge started and has not yet seen end, so an interrupt can end it all: the one kill registry.
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization

/// The children an interrupt must end. Each ``ChildProcess`` and each ``LongLivedChild`` (a verification guest's
/// qemu, the KVM probe, a namespaced container) leads a process group of its own, registered here from spawn until
/// it is reaped; a child that a library starts itself (libguestfs's appliance qemu, whose PID labforge never learns
/// while the launch blocks) is registered by a marker on its command line instead.
///
/// The CLI's signal handling calls ``stopAll()`` on the first signal and ``killAll()`` when the grace period runs
/// out or a second Ctrl-C comes: nothing a child started (mmdebstrap's apt, `xz` behind `qemu-img`) outlives it.
/// A crash of labforge is covered separately: long-lived children run under `setpriv --pdeathsig KILL`.
public enum RunningChildren {
    /// What the first signal does to a registered child.
    public enum Ending: Sendable, Equatable {
        /// SIGTERM to its group, so it can clean up; SIGKILL only when the grace period runs out (mmdebstrap,
        /// skopeo, every ``ChildProcess``).
        case terminate
        /// SIGKILL at once: a throwaway whose state is scratch (a verification guest on an overlay, a test
        /// container, the KVM probe, a libguestfs appliance); killing it also ends the call waiting on it.
        case kill
    }

    private struct Registry {
        var groups: [pid_t: Ending] = [:]
        var markers: Set<String> = []
    }

    private static let registry = Mutex(Registry())

    /// Records a process group that labforge owns.
    /// - Parameters:
    ///   - group: The group ID (the leader's PID).
    ///   - ending: What the first signal does to it.
    public static func register(group: pid_t, ending: Ending = .terminate) {
        registry.withLock { $0.groups[group] = ending }
    }

    /// Forgets a group (its leader was reaped, and no member is left that labforge must end).
    /// - Parameter group: A group given to ``register(group:ending:)``.
    public static func unregister(group: pid_t) {
        _ = registry.withLock { $0.groups.removeValue(forKey: group) }
    }

    /// Records a child that a library starts itself, found by `marker` on its command line among this process's
    /// children; the first signal kills it at once.
    /// - Parameter marker: Text only that child's command line holds (a UUID kernel parameter).
    public static func register(commandLineMarker marker: String) {
        _ = registry.withLock { $0.markers.insert(marker) }
    }

    /// Forgets a marked child (its handle was closed).
    /// - Parameter marker: A marker given to ``register(commandLineMarker:)``.
    public static func unregister(commandLineMarker marker: String) {
        _ = registry.withLock { $0.markers.remove(marker) }
    }

    /// The process groups registered now.
    public static var groups: Set<pid_t> { registry.withLock { Set($0.groups.keys) } }

    /// The command-line markers registered now.
    public static var markers: Set<String> { registry.withLock { $0.markers } }

    /// The first signal: SIGTERM to every ``Ending/terminate`` group, SIGKILL to every ``Ending/kill`` group and
    /// every marked child.
    public static func stopAll() {
        let (groups, markers) = registry.withLock { ($0.groups, $0.markers) }
        for (group, ending) in groups { kill(-group, ending == .kill ? SIGKILL : SIGTERM) }
        killMarked(markers)
    }

    /// The grace period ran out, or a second signal came: SIGKILL to every registered group and marked child.
    public static func killAll() {
        let (groups, markers) = registry.withLock { ($0.groups, $0.markers) }
        for group in groups.keys { kill(-group, SIGKILL) }
        killMarked(markers)
    }

    private static func killMarked(_ markers: Set<String>) {
        for marker in markers {
            for pid in children(commandLineContaining: marker) { kill(pid, SIGKILL) }
        }
    }

    /// Whether any process of `group` is still alive (a zombie leader counts until it is reaped).
    /// - Parameter group: A process group ID.
    /// - Returns: False once `kill(-group, 0)` says no such group.
    public static func isAlive(_ group: pid_t) -> Bool {
        kill(-group, 0) == 0 || errno == EPERM
    }

    /// This process's children whose command line contains `marker` (read from /proc).
    /// - Parameter marker: Text to look for in `/proc/PID/cmdline`.
    /// - Returns: Their PIDs.
    public static func children(commandLineContaining marker: String) -> [pid_t] {
        let me = getpid()
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { Int32($0) }.filter { pid in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { return false }
            // Fields after "(comm)": state, ppid, …
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 1, Int32(fields[1]) == me,
                let cmdline = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline")
            else { return false }
            return String(decoding: cmdline, as: UTF8.self).contains(marker)
        }
    }
}
