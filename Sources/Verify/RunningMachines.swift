// Every qemu this process started and has not yet reaped, so an interrupt can kill them all.
#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// The PIDs of running verification VMs. ``VirtualMachine`` registers and unregisters itself; the CLI
/// calls ``killAll()`` from its SIGINT/SIGTERM handler. A crash of labforge is covered separately:
/// qemu runs under `setpriv --pdeathsig KILL`, so the kernel kills it when its parent thread dies.
public enum RunningMachines {
    private static let pids = Mutex<Set<Int32>>([])

    static func register(_ pid: Int32) { _ = pids.withLock { $0.insert(pid) } }
    static func unregister(_ pid: Int32) { _ = pids.withLock { $0.remove(pid) } }

    /// PIDs of qemu processes still running.
    public static var current: Set<Int32> { pids.withLock { $0 } }

    /// Sends SIGKILL to every registered qemu (their overlays are throwaway; nothing is lost).
    public static func killAll() {
        for pid in pids.withLock({ $0 }) { kill(pid, SIGKILL) }
    }
}
