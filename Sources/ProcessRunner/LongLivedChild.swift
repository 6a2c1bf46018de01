// The one launcher for children that outlive the call starting them: qemu guests, the KVM probe, namespaced containers.
#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A program that runs beside labforge until it ends or is stopped — a verification guest's qemu, the KVM probe's
/// qemu, a namespaced container — where a ``ChildProcess`` runs to its end inside one call.
///
/// The child leads a process group of its own (Foundation's spawn), registered in ``RunningChildren`` from its
/// start until it is reaped, so an interrupt ends it. It runs under `setpriv --pdeathsig KILL`, spawned by a thread
/// of its own that lives until the child is reaped: the kernel sends the death signal when the *thread* that spawned
/// the child ends, so only a crash or `kill -9` of labforge sends it (a pool thread could retire while the child
/// still runs). Between setpriv and the program, `env --default-signal` gives the child default signal handling,
/// as ``ChildProcess`` does. That thread also reads the streams the caller captures.
///
/// Releasing the last reference to a running child kills its group.
public final class LongLivedChild: Sendable {
    /// The child's environment.
    public enum Environment: Sendable {
        /// ``ChildEnvironment``'s allow-listed part of labforge's environment, plus these variables.
        case inherited(adding: [String: String])
        /// Exactly these variables and nothing of labforge's (a container's host tools see `PATH` only).
        case exactly([String: String])
    }

    /// Where standard input comes from.
    public enum Input: Sendable {
        /// `/dev/null`.
        case none
        /// A pipe whose writing end is ``standardInput``; the caller writes and closes it.
        case pipe
    }

    /// Where standard output or standard error goes.
    public enum Output: Sendable {
        /// `/dev/null`.
        case discard
        /// This file, created or truncated. Both streams naming the same file share one descriptor (one log).
        case file(String)
        /// Kept in memory (the last MiB), read by the launching thread: ``capturedOutput``, ``capturedError``.
        case capture
    }

    /// The program as given.
    public let program: String
    /// The child's PID, which is also its process group ID.
    public let pid: pid_t
    /// The writing end of standard input, for ``Input/pipe``; nil otherwise.
    public let standardInput: FileHandle?
    private let lifetime: ChildLifetime

    private init(program: String, pid: pid_t, standardInput: FileHandle?, lifetime: ChildLifetime) {
        self.program = program
        self.pid = pid
        self.standardInput = standardInput
        self.lifetime = lifetime
    }

    /// Starts `arguments` and returns once it runs.
    /// - Parameters:
    ///   - arguments: Program and arguments; the program is looked up with ``ProgramPath`` in the child's `PATH`.
    ///   - environment: The child's environment.
    ///   - input: Standard input.
    ///   - output: Standard output.
    ///   - error: Standard error.
    ///   - ending: What the first Ctrl-C or SIGTERM does to it (``RunningChildren/stopAll()``).
    ///   - name: A short name for the launching thread (`qemu`, `kvm-probe`, `container`).
    /// - Returns: The running child.
    /// - Throws: ``ChildProcessError/programMissing(program:)`` when the program is not found,
    ///   ``ChildProcessError/startFailed(program:reason:)`` when setpriv (util-linux) is missing, an output file
    ///   cannot be opened or the spawn fails.
    public static func launch(
        _ arguments: [String], environment: Environment = .inherited(adding: [:]), input: Input = .none, output: Output = .discard,
        error: Output = .discard, ending: RunningChildren.Ending = .kill, name: String
    ) throws -> LongLivedChild {
        precondition(!arguments.isEmpty, "a LongLivedChild needs a program")
        let program = arguments[0]
        let variables: [String: String]
        switch environment {
        case .inherited(let added): variables = ChildEnvironment.child(adding: added)
        case .exactly(let given): variables = given
        }
        guard let executable = ProgramPath.find(program, searchPath: variables["PATH"]) else {
            throw ChildProcessError.programMissing(program: program)
        }
        guard let setpriv = ProgramPath.find("setpriv", searchPath: "/usr/bin:/bin") else {
            throw ChildProcessError.startFailed(
                program: program, reason: "setpriv is not installed (install util-linux): without it a crash of labforge would leave \(program) running")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: setpriv)
        var command = ["--pdeathsig", "KILL", "--"]
        // A path with `=` would read as a variable to env.
        if !executable.contains("="), let env = ProgramPath.find("env", searchPath: "/usr/bin:/bin") {
            command += [env, "--default-signal=\(ChildProcess.resetSignals)"]
        }
        process.arguments = command + [executable] + arguments.dropFirst()
        process.environment = variables

        let lifetime = ChildLifetime()
        let stdinPipe: Pipe?
        switch input {
        case .none:
            stdinPipe = nil
            process.standardInput = FileHandle.nullDevice
        case .pipe:
            let pipe = Pipe()
            stdinPipe = pipe
            process.standardInput = pipe
        }
        var files: [String: FileHandle] = [:]
        var captured: [(pipe: Pipe, stream: CapturedStreams.Stream)] = []
        func destination(_ output: Output, _ stream: CapturedStreams.Stream) throws -> Any {
            switch output {
            case .discard:
                return FileHandle.nullDevice
            case .file(let path):
                if let shared = files[path] { return shared }
                let opened = try ChildProcess.openOutput(path, for: program)
                files[path] = opened
                return opened
            case .capture:
                let pipe = Pipe()
                captured.append((pipe, stream))
                return pipe
            }
        }
        process.standardOutput = try destination(output, .stdout)
        process.standardError = try destination(error, .stderr)

        let pid = try lifetime.spawn(process, readingInto: captured.map { ($0.pipe.fileHandleForReading.fileDescriptor, $0.stream) },
                                     ending: ending, threadName: "labforge-" + name, program: program)
        return LongLivedChild(program: program, pid: pid, standardInput: stdinPipe?.fileHandleForWriting, lifetime: lifetime)
    }

    /// Whether the child still runs (false once it was reaped and its captured streams were read to the end).
    public var isRunning: Bool { lifetime.status == nil }

    /// Exit status, or 128 + the signal that ended it; nil while it runs.
    public var exitStatus: Int32? { lifetime.status }

    /// Blocks until the child has ended, at most `seconds`.
    /// - Parameter seconds: The longest wait.
    /// - Returns: True when it has ended.
    public func waitForExit(seconds: Double) -> Bool {
        lifetime.waitForEnd(seconds: seconds)
    }

    /// Waits, without blocking a thread, until the child has ended.
    /// - Returns: Its exit status, or 128 + the signal that ended it.
    public func exited() async -> Int32 {
        await lifetime.ended()
    }

    /// Sends `signal` to the child's process group; nothing once the child was reaped (its PID may be reused).
    /// - Parameter signal: The signal number.
    public func signalGroup(_ signal: Int32) {
        lifetime.signalGroup(pid, signal)
    }

    /// Sends SIGKILL to the child's process group and waits until it was reaped.
    /// - Parameter seconds: The longest wait.
    /// - Returns: True when it has ended (false only if the kernel has not ended it in time: a process stuck in
    ///   an uninterruptible wait).
    public func kill(waitingUpTo seconds: Double) -> Bool {
        signalGroup(SIGKILL)
        return waitForExit(seconds: seconds)
    }

    /// Standard output so far, for ``Output/capture`` (its last MiB).
    public var capturedOutput: String { String(decoding: lifetime.streams.stdout, as: UTF8.self) }

    /// Standard error so far, for ``Output/capture`` (its last MiB).
    public var capturedError: String { lifetime.streams.stderrText }

    deinit {
        lifetime.signalGroup(pid, SIGKILL)
    }
}
