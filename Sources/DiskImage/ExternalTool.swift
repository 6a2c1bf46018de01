// Runs qemu-img for the synchronous disk-image checks, through the one process runner.
import Foundation
import ProcessRunner

/// The result of a host tool that ran to completion.
public struct ToolOutput: Sendable {
    /// Exit status (or 128 + signal).
    public var status: Int32
    /// Standard output.
    public var stdout: Data
    /// Standard error as text.
    public var stderr: String
}

/// Runs host programs found in `PATH`.
public enum ExternalTool {
    /// Runs `arguments` and waits for it (``ChildProcess/runBlocking()``: callable from synchronous code).
    /// - Parameters:
    ///   - arguments: Program and arguments (no shell; nothing is interpreted).
    ///   - environment: Extra environment variables.
    /// - Returns: Status and output.
    /// - Throws: ``DiskImageError/toolMissing(_:)`` when the program cannot be started.
    public static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> ToolOutput {
        do {
            let result = try ChildProcess(arguments, environment: environment).runBlocking()
            return ToolOutput(status: result.status, stdout: result.stdout, stderr: result.stderr)
        } catch is ChildProcessError {
            throw DiskImageError.toolMissing(arguments.first ?? "")
        }
    }
}
