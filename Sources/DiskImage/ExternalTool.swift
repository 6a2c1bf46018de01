// Runs a host tool (qemu-img, mmdebstrap, …) and captures its output, without a shell.
import Foundation

/// The result of a host tool that ran to completion.
public struct ToolOutput: Sendable {
    /// Exit status.
    public var status: Int32
    /// Standard output.
    public var stdout: Data
    /// Standard error as text.
    public var stderr: String
}

/// Runs host programs found in `PATH`.
public enum ExternalTool {
    /// Runs `arguments` and waits for it.
    /// - Parameters:
    ///   - arguments: Program and arguments (no shell; nothing is interpreted).
    ///   - environment: Extra environment variables.
    /// - Returns: Status and output.
    /// - Throws: ``DiskImageError/toolMissing(_:)`` when the program cannot be started.
    public static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> ToolOutput {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw DiskImageError.toolMissing(arguments.first ?? "")
        }
        let errorData = PipeDrain(err.fileHandleForReading)
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let stderr = errorData.wait()
        if process.terminationStatus == 127, stderr.contains("No such file") {
            throw DiskImageError.toolMissing(arguments.first ?? "")
        }
        return ToolOutput(status: process.terminationStatus, stdout: stdout, stderr: stderr)
    }
}

/// Reads a pipe to its end on another thread so a child process never blocks on a full pipe.
public final class PipeDrain: @unchecked Sendable {
    private var data = Data()
    private let group = DispatchGroup()

    /// Starts reading `handle` until end of file.
    /// - Parameter handle: The read end of a pipe.
    public init(_ handle: FileHandle) {
        group.enter()
        DispatchQueue.global().async {
            self.data = handle.readDataToEndOfFile()
            self.group.leave()
        }
    }

    /// Waits for the end of file and returns everything read, as text.
    public func wait() -> String {
        group.wait()
        return String(decoding: data, as: UTF8.self)
    }
}
