// The bridge for synchronous callers (qemu-img facts inside libguestfs sessions and packing, git, credential helpers).
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

extension ChildProcess {
    /// Runs the program and blocks the calling thread until it ends.
    ///
    /// Safe from any thread, the cooperative pool included: nothing here needs a pool thread (swift-subprocess
    /// starts an unstructured task per run, so the async ``run()`` bridged from a blocked pool thread could
    /// deadlock once every pool thread waits). The child runs in a process group of its own (Foundation's
    /// spawn), registered in ``RunningChildren`` so that an interrupt ends it; output goes to private temporary
    /// files, read once it ends (``log`` gets the output then, not streamed). The time limit ends the group with
    /// SIGTERM, then SIGKILL after ``gracePeriod``.
    /// - Returns: Status (128 + signal when killed) and output.
    /// - Throws: ``ChildProcessError`` when the program is missing or cannot start.
    public func runBlocking() throws -> ChildProcessResult {
        guard let executable = ProgramPath.find(program, searchPath: environment["PATH"]) else {
            throw ChildProcessError.programMissing(program: program)
        }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("labforge-run-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(atPath: scratch) }

        let process = Process()
        // Foundation's spawn passes on the calling thread's signal mask and labforge's ignored signals: from a
        // dispatch or pool thread (every signal blocked) after the interrupt handler set SIGINT/SIGTERM to ignored,
        // a child would never see the SIGTERM that stops it, and only the SIGKILL after the grace period would end
        // it. coreutils' env resets them (default handling, nothing blocked) and execs the program, so the child
        // starts as from a shell, as swift-subprocess starts its children. A path with `=` would read as a variable.
        if !executable.contains("="), let env = ProgramPath.find("env", searchPath: "/usr/bin:/bin") {
            process.executableURL = URL(fileURLWithPath: env)
            process.arguments = ["--default-signal=\(Self.resetSignals)", executable] + Array(arguments.dropFirst())
        } else {
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = Array(arguments.dropFirst())
        }
        process.environment = mergedEnvironment()
        if let workingDirectory { process.currentDirectoryURL = URL(fileURLWithPath: workingDirectory) }
        switch input {
        case .none: process.standardInput = FileHandle(forReadingAtPath: "/dev/null")
        case .data(let data):
            let path = scratch + "/stdin"
            try data.write(to: URL(fileURLWithPath: path))
            process.standardInput = FileHandle(forReadingAtPath: path)
        case .file(let path):
            guard let handle = FileHandle(forReadingAtPath: path) else {
                throw ChildProcessError.startFailed(program: program, reason: "cannot read its input \(path): \(String(cString: strerror(errno)))")
            }
            process.standardInput = handle
        }
        let stdoutPath: String?
        switch output {
        case .capture: stdoutPath = scratch + "/stdout"
        case .file(let path): stdoutPath = path
        case .discard: stdoutPath = nil
        }
        let stderrPath = scratch + "/stderr"
        process.standardOutput = try stdoutPath.map(outputHandle) ?? FileHandle(forWritingAtPath: "/dev/null")
        process.standardError = try outputHandle(stderrPath)

        do { try process.run() } catch {
            throw ChildProcessError.startFailed(program: program, reason: "\(error)")
        }
        let pid = process.processIdentifier
        RunningChildren.register(group: pid)
        defer { RunningChildren.unregister(group: pid) }
        onStart?(pid)
        let timedOut = Mutex(false)
        if let timeout {
            let grace = gracePeriod
            DispatchQueue.global().asyncAfter(deadline: .now() + Self.seconds(timeout)) {
                guard process.isRunning else { return }
                timedOut.withLock { $0 = true }
                kill(-pid, SIGTERM)
                DispatchQueue.global().asyncAfter(deadline: .now() + Self.seconds(grace)) { if process.isRunning { kill(-pid, SIGKILL) } }
            }
        }
        process.waitUntilExit()
        let status = process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
        func tail(_ path: String?) -> Data {
            guard let path, let handle = FileHandle(forReadingAtPath: path) else { return Data() }
            defer { try? handle.close() }
            let size = (try? handle.seekToEnd()) ?? 0
            if size > UInt64(captureLimit) { try? handle.seek(toOffset: size - UInt64(captureLimit)) } else { try? handle.seek(toOffset: 0) }
            return (try? handle.readToEnd()) ?? Data()
        }
        let captured: Bool
        if case .capture = output { captured = true } else { captured = false }
        let stdout = captured ? tail(stdoutPath) : Data()
        let stderr = String(decoding: tail(stderrPath), as: UTF8.self)
        if let log {
            if captured, !stdout.isEmpty { log(String(decoding: stdout, as: UTF8.self)) }
            if !stderr.isEmpty { log(stderr) }
        }
        return ChildProcessResult(status: status, stdout: stdout, stderr: stderr, timedOut: timedOut.withLock { $0 })
    }

    /// Creates or truncates `path` (0644 before the umask) and opens it for the child's output, as the async run does.
    /// - Parameter path: The output file.
    /// - Returns: The handle, closed when released.
    /// - Throws: ``ChildProcessError/startFailed(program:reason:)`` naming the file when it cannot be opened.
    private func outputHandle(_ path: String) throws -> FileHandle {
        try Self.openOutput(path, for: program)
    }

    /// Creates or truncates `path` (0644 before the umask) and opens it for a child's output (close-on-exec: only
    /// the child it is handed to gets it).
    /// - Parameters:
    ///   - path: The output file.
    ///   - program: The program whose output it takes, named in the error.
    /// - Returns: The handle, closed when released.
    /// - Throws: ``ChildProcessError/startFailed(program:reason:)`` naming the file when it cannot be opened.
    static func openOutput(_ path: String, for program: String) throws -> FileHandle {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw ChildProcessError.startFailed(program: program, reason: "cannot write its output to \(path): \(String(cString: strerror(errno)))")
        }
        return FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
    }

    /// The signals a child gets back with their default handling (and unblocked): hangup, interrupt, quit, pipe,
    /// termination.
    static let resetSignals = "HUP,INT,QUIT,PIPE,TERM"

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
