// Runs host tools (ssh, ssh-keygen, openssl) with optional standard input and a time limit, without a shell.
import DiskImage
import Foundation
import Reporting

/// The result of a host tool run.
struct HostCommandOutput: Sendable {
    /// Exit status, or 128 + signal.
    var status: Int32
    /// Standard output as text.
    var stdout: String
    /// Standard error as text.
    var stderr: String
    /// Whether the time limit killed it.
    var timedOut: Bool
}

/// A host program run to completion.
enum HostCommand {
    /// Runs `arguments` (looked up in PATH) and waits for it, killing it after `timeout`.
    /// - Parameters:
    ///   - arguments: Program and arguments.
    ///   - input: Bytes written to standard input (then closed); nil gives /dev/null.
    ///   - timeout: Seconds before the process is killed.
    ///   - package: Debian package to name when the tool is missing.
    /// - Returns: Status and output.
    /// - Throws: ``VerifyError/toolMissing(tool:package:)``.
    static func run(_ arguments: [String], input: Data? = nil, timeout: Double = 60, package: String) async throws -> HostCommandOutput {
        try await DedicatedThread.run(name: "labforge.verify.\(arguments[0])") {
            try runBlocking(arguments, input: input, timeout: timeout, package: package)
        }
    }

    static func runBlocking(_ arguments: [String], input: Data?, timeout: Double, package: String) throws -> HostCommandOutput {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        let inPipe = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input == nil ? FileHandle.nullDevice : inPipe
        do { try process.run() } catch { throw VerifyError.toolMissing(tool: arguments[0], package: package) }
        let timer = DispatchSource.makeTimerSource(queue: .global())
        let killed = KillFlag()
        timer.schedule(deadline: .now() + timeout)
        timer.setEventHandler {
            killed.set()
            kill(process.processIdentifier, SIGKILL)
        }
        timer.resume()
        if let input {
            DispatchQueue.global().async {
                try? inPipe.fileHandleForWriting.write(contentsOf: input)
                try? inPipe.fileHandleForWriting.close()
            }
        }
        let errData = PipeDrain(err.fileHandleForReading)
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        timer.cancel()
        let stderr = errData.wait()
        if process.terminationStatus == 127, stderr.contains("No such file") {
            throw VerifyError.toolMissing(tool: arguments[0], package: package)
        }
        let status = process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
        return HostCommandOutput(
            status: status, stdout: String(decoding: stdout, as: UTF8.self), stderr: stderr, timedOut: killed.isSet)
    }
}

/// Set once from a timer, read after the process ended.
private final class KillFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}
