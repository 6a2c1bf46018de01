// Every libguestfs appliance this process has created and not yet closed, so an interrupt can end them.
#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// The launch markers of open ``Appliance`` handles. A libguestfs call blocks its thread and cannot be
/// cancelled; killing the appliance's qemu (found by the handle's marker, as ``LaunchWatchdog`` does) makes the
/// call fail at once, and the caller unwinds and removes its scratch. The appliance's disk is always a scratch
/// overlay or a partial output, so nothing kept is lost.
public enum RunningAppliances {
    private static let markers = Mutex<Set<String>>([])

    static func register(_ marker: String) { _ = markers.withLock { $0.insert(marker) } }
    static func unregister(_ marker: String) { _ = markers.withLock { $0.remove(marker) } }

    /// Whether any appliance handle is open.
    public static var isEmpty: Bool { markers.withLock { $0.isEmpty } }

    /// Sends SIGKILL to the qemu of every open appliance.
    public static func killAll() {
        for marker in markers.withLock({ $0 }) {
            for pid in LaunchWatchdog.children(matching: marker) { kill(pid, SIGKILL) }
        }
    }
}
