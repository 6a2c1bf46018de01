// How a host program ended and what it printed.
import Foundation

/// The outcome of a finished ``ChildProcess``.
public struct ChildProcessResult: Sendable {
    /// Exit status, or 128 + the signal that ended it (the shell's convention).
    public var status: Int32
    /// Standard output (empty when it went to a file); only the last ``ChildProcess/captureLimit`` bytes are kept.
    public var stdout: Data
    /// Standard error as text; only the last ``ChildProcess/captureLimit`` bytes are kept.
    public var stderr: String
    /// Whether ``ChildProcess/timeout`` ended it.
    public var timedOut: Bool

    /// Creates a result.
    /// - Parameters:
    ///   - status: Exit status or 128 + signal.
    ///   - stdout: Standard output bytes.
    ///   - stderr: Standard error text.
    ///   - timedOut: Whether the time limit ended the process.
    public init(status: Int32, stdout: Data, stderr: String, timedOut: Bool) {
        self.status = status
        self.stdout = stdout
        self.stderr = stderr
        self.timedOut = timedOut
    }

    /// Exit status 0 within the time limit.
    public var succeeded: Bool { status == 0 && !timedOut }

    /// Standard output as UTF-8 text.
    public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }

    /// Standard error, else standard output, trimmed: what a failure message should quote.
    public var message: String {
        let error = stderr.trimmingCharacters(in: .whitespacesAndNewlines)
        return error.isEmpty ? stdoutText.trimmingCharacters(in: .whitespacesAndNewlines) : error
    }
}
