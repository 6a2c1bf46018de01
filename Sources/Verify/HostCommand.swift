// Runs host tools (ssh, ssh-keygen, openssl, qemu-img) for verification through the one process runner.
import Foundation
import ProcessRunner

/// A host program run to completion.
enum HostCommand {
    /// Runs `arguments` (looked up in PATH) and waits for it, ending it after `timeout`.
    /// - Parameters:
    ///   - arguments: Program and arguments.
    ///   - input: Bytes written to standard input (then closed); nil gives /dev/null.
    ///   - timeout: Seconds before the process is ended.
    ///   - package: Debian package to name when the tool is missing.
    /// - Returns: Status and output.
    /// - Throws: ``VerifyError/toolMissing(tool:package:)``.
    static func run(_ arguments: [String], input: Data? = nil, timeout: Double = 60, package: String) async throws -> ChildProcessResult {
        do {
            return try await process(arguments, input: input, timeout: timeout).run()
        } catch is ChildProcessError {
            throw VerifyError.toolMissing(tool: arguments[0], package: package)
        }
    }

    /// The same, for synchronous code on a thread of its own (the boot sequence).
    static func runBlocking(_ arguments: [String], input: Data? = nil, timeout: Double = 60, package: String) throws -> ChildProcessResult {
        do {
            return try process(arguments, input: input, timeout: timeout).runBlocking()
        } catch is ChildProcessError {
            throw VerifyError.toolMissing(tool: arguments[0], package: package)
        }
    }

    private static func process(_ arguments: [String], input: Data?, timeout: Double) -> ChildProcess {
        ChildProcess(arguments, input: input.map { .data($0) } ?? .none, timeout: .milliseconds(Int64(timeout * 1000)), gracePeriod: .seconds(2))
    }
}
