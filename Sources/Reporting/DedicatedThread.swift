// Runs blocking work (libguestfs calls, subprocess waits, compression) on its own thread, off Swift's
// cooperative pool: on a 2-core machine that pool has two threads, and two blocking builds would stall
// every other task (progress, timers, network I/O) until they finish.
import Foundation

/// Blocking work moved off the cooperative thread pool.
public enum DedicatedThread {
    /// Runs `body` on a new thread and resumes the caller with its result.
    /// - Parameters:
    ///   - name: Thread name (shown by debuggers and `top -H`).
    ///   - body: Blocking work.
    /// - Returns: What `body` returns.
    /// - Throws: What `body` throws.
    public static func run<T: Sendable>(name: String = "labforge.blocking", _ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let thread = Thread {
                do { continuation.resume(returning: try body()) } catch { continuation.resume(throwing: error) }
            }
            thread.name = name
            thread.stackSize = 8 << 20
            thread.start()
        }
    }
}
