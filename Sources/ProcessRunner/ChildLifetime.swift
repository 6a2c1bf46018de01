// The thread that spawns a long-lived child, reads its captured streams and stays until the child is reaped.
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization

/// One ``LongLivedChild``'s life: spawned by a thread of its own (the parent thread `PR_SET_PDEATHSIG` watches),
/// which reads the captured streams, waits until Foundation has reaped the child, unregisters it from
/// ``RunningChildren`` and only then reports its end. The thread holds this record, never the ``LongLivedChild``,
/// so releasing the child can kill it.
final class ChildLifetime: Sendable {
    private struct State {
        /// The exit status (128 + signal), set by Foundation's termination handler once it has reaped the child:
        /// from then on the PID is not ours to signal.
        var reaped: Int32?
        /// Set once the launching thread is done: the status callers see.
        var status: Int32?
        var waiters: [CheckedContinuation<Int32, Never>] = []
    }

    private let state = Mutex(State())
    private let reapedSignal = DispatchSemaphore(value: 0)
    private let endedSignal = DispatchSemaphore(value: 0)
    let streams = CapturedStreams(limit: 1 << 20, log: nil)

    /// The status once the child has ended; nil while it runs.
    var status: Int32? { state.withLock { $0.status } }

    /// Starts `process` from a new thread and returns once it runs (or failed to start).
    /// - Parameters:
    ///   - process: The configured process (setpriv … program).
    ///   - captured: Reading ends of the pipes whose contents go to ``streams``.
    ///   - ending: How an interrupt ends it.
    ///   - threadName: The thread's name.
    ///   - program: The program, named in an error.
    /// - Returns: The child's PID.
    /// - Throws: ``ChildProcessError/startFailed(program:reason:)`` when the spawn fails.
    func spawn(
        _ process: Process, readingInto captured: [(descriptor: Int32, stream: CapturedStreams.Stream)], ending: RunningChildren.Ending,
        threadName: String, program: String
    ) throws -> pid_t {
        let started = DispatchSemaphore(value: 0)
        let launch = Mutex<Result<pid_t, ChildProcessError>?>(nil)
        process.terminationHandler = { [self] finished in
            let status = finished.terminationReason == .uncaughtSignal ? 128 + finished.terminationStatus : finished.terminationStatus
            state.withLock { $0.reaped = status }
            reapedSignal.signal()
        }
        let thread = Thread { [self] in
            do {
                try process.run()
            } catch {
                launch.withLock { $0 = .failure(ChildProcessError.startFailed(program: program, reason: "\(error)")) }
                started.signal()
                return
            }
            let pid = process.processIdentifier
            RunningChildren.register(group: pid, ending: ending)
            launch.withLock { $0 = .success(pid) }
            started.signal()
            pump(captured)
            reapedSignal.wait()
            RunningChildren.unregister(group: pid)
            finish()
        }
        thread.name = threadName
        thread.start()
        started.wait()
        switch launch.withLock({ $0 }) {
        case .success(let pid): return pid
        case .failure(let error): throw error
        case nil: throw ChildProcessError.startFailed(program: program, reason: "the launching thread ended without starting it")
        }
    }

    /// Reads the captured pipes until each is at its end, or until the child was reaped and nothing more is
    /// waiting in them (a grandchild may hold a pipe open).
    private func pump(_ captured: [(descriptor: Int32, stream: CapturedStreams.Stream)]) {
        var open = captured
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        while !open.isEmpty {
            var descriptors = open.map { pollfd(fd: $0.descriptor, events: Int16(POLLIN), revents: 0) }
            let ready = poll(&descriptors, nfds_t(descriptors.count), 100)
            if ready < 0, errno == EINTR { continue }
            if ready < 0 { return }
            if ready == 0 {
                if state.withLock({ $0.reaped != nil }) { return }
                continue
            }
            var closed: Set<Int32> = []
            for (index, entry) in descriptors.enumerated() where entry.revents != 0 {
                let count = buffer.withUnsafeMutableBytes { read(entry.fd, $0.baseAddress, $0.count) }
                if count > 0 {
                    buffer.withUnsafeBytes { streams.append(UnsafeRawBufferPointer(rebasing: $0[0..<count]), to: open[index].stream) }
                } else if count == 0 || errno != EINTR {
                    closed.insert(entry.fd)
                }
            }
            open.removeAll { closed.contains($0.descriptor) }
        }
    }

    /// Publishes the status to every waiter.
    private func finish() {
        let (status, waiters) = state.withLock { state -> (Int32, [CheckedContinuation<Int32, Never>]) in
            let status = state.reaped ?? 0
            state.status = status
            defer { state.waiters = [] }
            return (status, state.waiters)
        }
        for waiter in waiters { waiter.resume(returning: status) }
        endedSignal.signal()
    }

    /// Blocks until the child has ended, at most `seconds`.
    func waitForEnd(seconds: Double) -> Bool {
        if status != nil { return true }
        guard endedSignal.wait(timeout: .now() + max(0, seconds)) == .success else { return false }
        endedSignal.signal()  // for the next waiter
        return true
    }

    /// Suspends until the child has ended.
    func ended() async -> Int32 {
        await withCheckedContinuation { continuation in
            let status = state.withLock { state -> Int32? in
                if let status = state.status { return status }
                state.waiters.append(continuation)
                return nil
            }
            if let status { continuation.resume(returning: status) }
        }
    }

    /// Signals the group unless the child was reaped (its PID may belong to another process by now).
    func signalGroup(_ group: pid_t, _ signal: Int32) {
        state.withLock { state in
            guard state.reaped == nil else { return }
            kill(-group, signal)
        }
    }
}
