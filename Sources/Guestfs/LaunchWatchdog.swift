// Bounds a libguestfs launch: kills the appliance's qemu when it has not come up in time.
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import ProcessRunner
import Synchronization

/// `guestfs_launch` waits up to 20 minutes for the appliance, and holds the handle's lock meanwhile, so no
/// libguestfs call can stop it. The watchdog finds this handle's qemu among our children by a marker unique to
/// the handle (a kernel parameter, so on qemu's command line) and kills it after the deadline; the launch then
/// returns an error at once.
final class LaunchWatchdog {
    private let timer: DispatchSourceTimer
    private let fired = Flag()

    /// Set from the timer's queue, read after the launch returned.
    private final class Flag: Sendable {
        let value = Mutex(false)
    }

    /// Starts the countdown.
    /// - Parameters:
    ///   - marker: Text only this launch's qemu has on its command line (a UUID kernel parameter).
    ///   - seconds: The deadline.
    init(marker: String, seconds: Double) {
        timer = DispatchSource.makeTimerSource(queue: .global())
        timer.schedule(deadline: .now() + seconds)
        timer.setEventHandler { [fired] in
            fired.value.withLock { $0 = true }
            for pid in RunningChildren.children(commandLineContaining: marker) { kill(pid, SIGKILL) }
        }
        timer.resume()
    }

    /// Stops the countdown.
    /// - Returns: Whether the deadline had passed (and qemu was killed).
    func cancel() -> Bool {
        timer.cancel()
        return fired.value.withLock { $0 }
    }
}
