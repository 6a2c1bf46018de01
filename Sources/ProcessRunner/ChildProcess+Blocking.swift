// The bridge for synchronous callers (qemu-img facts inside libguestfs sessions and packing).
import Foundation
import Synchronization

extension ChildProcess {
    /// Runs the program and blocks the calling thread until it ends.
    ///
    /// Call it only from a thread of its own (`DedicatedThread.run`), never from the cooperative pool: the run's
    /// own work happens on ``BridgeExecutor``, but swift-subprocess starts an unstructured task per run, which needs
    /// a free pool thread; callers blocking every pool thread here would deadlock. Async code calls ``run()``.
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
