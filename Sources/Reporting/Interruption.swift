// Ctrl-C and SIGTERM: cancel the command's task tree, end every child, remove scratch, exit 130/143.
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization

/// How an interrupted run ends, and the scratch paths it must not leave behind.
///
/// The CLI runs each command through ``run(stopChildren:killChildren:_:)``. The first SIGINT or SIGTERM cancels
/// the command's task (every child task with it) and calls `stopChildren` (SIGTERM to every child process group,
/// the libguestfs appliances and verification VMs); the command unwinds, its `defer`s remove what they made, and
/// the process exits with 128 + the signal (130, 143). Should it not have unwound within ``gracePeriod`` — or on
/// a second signal — `killChildren` sends SIGKILL to what is left, the registered scratch paths are removed and
/// the process exits at once.
///
/// Work registers a temp path while it writes it (``register(_:)``) and unregisters it once renamed into place
/// or removed (a path its own cleanup could not remove stays registered): whatever is still registered when the
/// process exits after a signal is removed then, never across a mount point (``ScratchRemoval``). The last line says
/// "stopped cleanly" only when that left nothing; otherwise it names each path left and why, e.g.
/// `labforge: interrupted by SIGTERM; left /tmp/labforge-bootstrap-…: still mounted inside it: …`.
public enum Interruption {
    private struct State {
        var signal: Int32?
        var cancel: (@Sendable () -> Void)?
        var stopChildren: (@Sendable () -> Void)?
        var killChildren: (@Sendable () -> Void)?
        var cancellable = true
    }

    private static let paths = Mutex<Set<String>>([])
    private static let state = Mutex(State())
    /// Keeps the signal sources alive for the life of the process.
    private static let sources = Mutex<[any DispatchSourceSignal]>([])
    private static let queue = DispatchQueue(label: "labforge.interruption")

    /// Seconds from the first signal until children are killed and the process exits regardless: 20 by default
    /// (Kubernetes gives a deleted Job's pod 30 s), or `LABFORGE_INTERRUPT_GRACE`.
    public static var gracePeriod: Double {
        ProcessInfo.processInfo.environment["LABFORGE_INTERRUPT_GRACE"].flatMap(Double.init).map { max(0, $0) } ?? 20
    }

    /// Registers a temp path to remove if the process is interrupted.
    /// - Parameter path: A file or directory being written.
    public static func register(_ path: String) {
        _ = paths.withLock { $0.insert(path) }
    }

    /// Forgets a path (it was renamed into place or removed).
    /// - Parameter path: A path given to ``register(_:)``.
    public static func unregister(_ path: String) {
        _ = paths.withLock { $0.remove(path) }
    }

    /// The paths registered now.
    public static var registeredPaths: Set<String> { paths.withLock { $0 } }

    /// The signal that interrupted this process, if one did.
    public static var receivedSignal: Int32? { state.withLock { $0.signal } }

    /// Runs `body` as a task that SIGINT and SIGTERM cancel, and exits the process with 128 + the signal
    /// once it has unwound (or once ``gracePeriod`` has passed).
    /// - Parameters:
    ///   - cancellable: False for synchronous work that cannot see a cancellation: the first signal then ends
    ///     the process at once, as a second one would.
    ///   - stopChildren: Asks every child to stop (SIGTERM to process groups, killing throwaway VMs).
    ///   - killChildren: Kills what is left (SIGKILL).
    ///   - body: The command.
    /// - Returns: What `body` returns when no signal came.
    /// - Throws: What `body` throws when no signal came.
    public static func run<T: Sendable>(
        cancellable: Bool = true, stopChildren: @escaping @Sendable () -> Void, killChildren: @escaping @Sendable () -> Void,
        _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let task = Task { try await body() }
        state.withLock {
            $0.cancel = { task.cancel() }
            $0.stopChildren = stopChildren
            $0.killChildren = killChildren
            $0.cancellable = cancellable
        }
        installHandlers()
        let result = await task.result
        if let signal = receivedSignal {
            let left = removeRegisteredPaths()
            FileHandle.standardError.write(Data((outcome(signal, left: left, unwound: true) + "\n").utf8))
            exit(128 + signal)
        }
        return try result.get()
    }

    /// The last line an interrupted run prints: "stopped cleanly" only when the command unwound and every registered
    /// scratch path is gone; otherwise each path left and why.
    /// - Parameters:
    ///   - signal: The signal that interrupted the run.
    ///   - left: Scratch that could not be removed.
    ///   - unwound: Whether the command unwound (false: the grace period ran out, or a second signal came).
    /// - Returns: The line, without its newline.
    public static func outcome(_ signal: Int32, left: [LeftScratch], unwound: Bool) -> String {
        let name = signalName(signal)
        guard left.isEmpty else {
            return "labforge: interrupted by \(name); left " + left.map(\.description).joined(separator: "; left ")
        }
        return unwound
            ? "labforge: interrupted by \(name); stopped cleanly"
            : "labforge: interrupted by \(name); children killed without waiting for them, registered scratch removed"
    }

    /// Installs the SIGINT/SIGTERM sources (once per process).
    private static func installHandlers() {
        sources.withLock { sources in
            guard sources.isEmpty else { return }
            // A parent may have started labforge with these blocked (a mask survives exec: Foundation's spawn from a
            // dispatch thread passes on one that blocks nearly everything); a blocked signal would stay pending for
            // ever. The calling thread (the main thread) takes them.
            var unblock = sigset_t()
            sigemptyset(&unblock)
            sigaddset(&unblock, SIGINT)
            sigaddset(&unblock, SIGTERM)
            pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
            for signalNumber in [SIGINT, SIGTERM] {
                signal(signalNumber, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
                source.setEventHandler { received(signalNumber) }
                source.resume()
                sources.append(source)
            }
        }
    }

    /// First signal: cancel and stop children, arm the deadline. Second: finish at once.
    private static func received(_ signalNumber: Int32) {
        let (first, cancel, stop) = state.withLock { state in
            let first = state.signal == nil && state.cancellable
            state.signal = signalNumber
            return (first, state.cancel, state.stopChildren)
        }
        guard first else {
            if !state.withLock({ $0.cancellable }) {
                finishNow(signalNumber)
                return
            }
            FileHandle.standardError.write(Data("labforge: second \(signalName(signalNumber)): killing what is left\n".utf8))
            finishNow(signalNumber)
            return
        }
        FileHandle.standardError.write(
            Data("labforge: \(signalName(signalNumber)) received; stopping (again to kill at once)\n".utf8))
        cancel?()
        stop?()
        queue.asyncAfter(deadline: .now() + gracePeriod) {
            FileHandle.standardError.write(Data("labforge: still running \(Int(gracePeriod)) s after the signal; killing what is left\n".utf8))
            finishNow(signalNumber)
        }
    }

    private static func finishNow(_ signalNumber: Int32) {
        state.withLock { $0.killChildren }?()
        let left = removeRegisteredPaths()
        FileHandle.standardError.write(Data((outcome(signalNumber, left: left, unwound: false) + "\n").utf8))
        exit(128 + signalNumber)
    }

    /// Removes every registered path (never across a mount point: ``ScratchRemoval``).
    /// - Returns: What is still there, and why.
    private static func removeRegisteredPaths() -> [LeftScratch] {
        paths.withLock({ $0 }).sorted().compactMap { path in
            guard let left = ScratchRemoval.remove(path) else {
                unregister(path)
                return nil
            }
            return left
        }
    }

    private static func signalName(_ signalNumber: Int32) -> String {
        switch signalNumber {
        case SIGINT: "SIGINT"
        case SIGTERM: "SIGTERM"
        default: "signal \(signalNumber)"
        }
    }
}
