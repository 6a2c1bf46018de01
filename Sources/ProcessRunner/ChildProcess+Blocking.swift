// The bridge for synchronous callers (qemu-img facts inside libguestfs sessions and packing).
import Foundation
import Synchronization

extension ChildProcess {
    /// Runs the program and blocks the calling thread until it ends.
    ///
    /// The run itself happens on a thread of its own (``BridgeExecutor``), never on the cooperative pool, so a
    /// caller that is itself on the pool cannot starve it into a deadlock; async code should still call ``run()``.
    /// There is no task to cancel here: an interrupt ends the child through ``ProcessGroups``.
    /// - Returns: Status and output.
    /// - Throws: What ``run()`` throws.
    public func runBlocking() throws -> ChildProcessResult {
        let done = DispatchSemaphore(value: 0)
        let outcome = Mutex<Result<ChildProcessResult, any Error>?>(nil)
        let process = self
        Task.detached(executorPreference: BridgeExecutor.shared) {
            let result: Result<ChildProcessResult, any Error>
            do { result = .success(try await process.run()) } catch { result = .failure(error) }
            outcome.withLock { $0 = result }
            done.signal()
        }
        done.wait()
        return try outcome.withLock { $0! }.get()
    }
}

/// One thread that runs the async side of ``ChildProcess/runBlocking()``. Its jobs never block (the waiting
/// happens in swift-subprocess's epoll thread), so one thread serves every bridged run.
final class BridgeExecutor: TaskExecutor, @unchecked Sendable {
    static let shared = BridgeExecutor()

    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []

    private init() {
        let thread = Thread { [unowned self] in self.loop() }
        thread.name = "labforge.process-bridge"
        thread.start()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    private func loop() {
        while true {
            condition.lock()
            while jobs.isEmpty { condition.wait() }
            let batch = jobs
            jobs.removeAll()
            condition.unlock()
            for job in batch { job.runSynchronously(on: asUnownedTaskExecutor()) }
        }
    }
}
