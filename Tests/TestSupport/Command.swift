// Runs the tools nobody here wrote (qemu-img, skopeo, umoci, tar) and the labforge binary from tests. Each run waits on
// a thread of its own (Foundation's Process, then DedicatedThread): tests run in parallel on a cooperative pool of two
// threads on a 2-core machine, and a test blocking one of them for a minutes-long build starved every other test's
// timers and downloads (a 300 ms time limit fired after 37 s; a download read timed out six times in a row).
import Foundation
import Reporting

/// The result of a finished process.
public struct CommandResult: Sendable {
    /// Exit status (or 128 + signal).
    public var status: Int32
    /// Standard output.
    public var stdout: String
    /// Standard error.
    public var stderr: String
    /// Standard output as bytes.
    public var stdoutData: Data
    /// Seconds from the start of the process to its exit: a VM slot's wait (``VMSlots``) is not in it.
    public var seconds: Double
}

/// Errors from running a command in a test.
public struct CommandFailure: Error, CustomStringConvertible {
    /// The command line.
    public var command: [String]
    /// What it returned.
    public var result: CommandResult
    public var description: String {
        "`\(command.joined(separator: " "))` exited \(result.status)\nstdout: \(result.stdout.suffix(2000))\nstderr: \(result.stderr.suffix(2000))"
    }
}

/// Runs external commands off the cooperative pool.
public enum Command {
    /// Runs `arguments` (looked up in PATH) and returns its output whatever the exit status.
    /// - Parameters:
    ///   - arguments: Program and arguments.
    ///   - input: Bytes for standard input.
    ///   - environment: Extra environment variables.
    ///   - directory: Working directory.
    /// - Returns: Status and output.
    @discardableResult
    public static func run(
        _ arguments: [String], input: Data? = nil, environment: [String: String] = [:], directory: String? = nil
    ) async throws -> CommandResult {
        let wait = {
            try await DedicatedThread.run(name: "test.command") {
                try runWaiting(arguments, input: input, environment: environment, directory: directory)
            }
        }
        // A command that boots a VM or bootstraps waits for a slot (``VMSlots``).
        return VMSlots.isHeavy(arguments) ? try await VMSlots.hold(wait) : try await wait()
    }

    /// Runs the process and blocks the calling thread (never a pool thread: see ``run(_:input:environment:directory:)``).
    private static func runWaiting(
        _ arguments: [String], input: Data?, environment: [String: String], directory: String?
    ) throws -> CommandResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let inputPipe = Pipe()
        process.standardInput = input == nil ? FileHandle.nullDevice : inputPipe
        let started = Date()
        try process.run()
        if let input {
            inputPipe.fileHandleForWriting.write(input)
            try inputPipe.fileHandleForWriting.close()
        }
        // Read both pipes concurrently so a chatty process cannot block on a full pipe.
        let errBox = DataBox()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errBox.data = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        let status = process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
        return CommandResult(
            status: status, stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errBox.data, as: UTF8.self), stdoutData: outData, seconds: Date().timeIntervalSince(started)
        )
    }

    /// Runs `arguments` and throws ``CommandFailure`` unless it exits 0.
    @discardableResult
    public static func check(
        _ arguments: [String], input: Data? = nil, environment: [String: String] = [:], directory: String? = nil
    ) async throws -> CommandResult {
        let result = try await run(arguments, input: input, environment: environment, directory: directory)
        guard result.status == 0 else { throw CommandFailure(command: arguments, result: result) }
        return result
    }

    /// The built `labforge` executable next to the test bundle (`swift build` puts both in one folder).
    public static var labforgeBinary: String {
        if let explicit = ProcessInfo.processInfo.environment["LABFORGE_BIN"] { return explicit }
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        // On Linux the test runner is `<bin>/labforgePackageTests.xctest`; walk up until `labforge` is found.
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("labforge").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory.deleteLastPathComponent()
        }
        return ".build/debug/labforge"
    }

    /// Runs the labforge CLI.
    @discardableResult
    public static func labforge(_ arguments: [String], input: Data? = nil, environment: [String: String] = [:]) async throws -> CommandResult {
        try await run([labforgeBinary] + arguments, input: input, environment: environment)
    }
}

private final class DataBox: @unchecked Sendable {
    var data = Data()
}
