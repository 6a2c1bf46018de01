// The one way labforge runs a host program: own process group, streamed output, time limit, teardown on cancel.
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Subprocess
import Synchronization
import SystemPackage

/// A host program to run, without a shell: nothing in the arguments is interpreted.
///
/// The child leads a process group of its own (registered in ``RunningChildren`` while it lives). When the calling
/// task is cancelled or ``timeout`` passes, the whole group gets SIGTERM, then SIGKILL after ``gracePeriod``; a
/// group member that outlives its leader is ended the same way before ``run()`` returns. Waiting and reading
/// happen in swift-subprocess's epoll thread: no cooperative-pool thread blocks.
public struct ChildProcess: Sendable {
    /// Where standard input comes from.
    public enum Input: Sendable {
        /// `/dev/null`.
        case none
        /// These bytes, then end of file.
        case data(Data)
        /// This file.
        case file(String)
    }

    /// Where standard output goes (standard error is always captured and streamed to ``log``).
    public enum Output: Sendable {
        /// Captured into ``ChildProcessResult/stdout`` and streamed to ``log``.
        case capture
        /// Written to this file (created or truncated); not streamed.
        case file(String)
        /// `/dev/null`.
        case discard
    }

    /// Program and arguments; the program is looked up with ``ProgramPath``.
    public var arguments: [String]
    /// Variables added to (or replacing) the inherited environment; kept as given.
    public var environment: [String: String]
    /// How much of labforge's environment the child inherits: the allow-list (``ChildEnvironment``) unless a caller
    /// says otherwise; a ``ChildEnvironment/withheld`` secret never.
    public var inheritance: ChildEnvironment.Inheritance = .allowListed
    /// Working directory (the caller's by default).
    public var workingDirectory: String?
    /// Standard input.
    public var input: Input
    /// Standard output.
    public var output: Output
    /// Longest run before the group is ended and ``ChildProcessResult/timedOut`` is set; nil for none.
    public var timeout: Duration?
    /// Time between SIGTERM and SIGKILL when the child is ended.
    public var gracePeriod: Duration
    /// Receives the child's output line by line as it arrives (the build log).
    public var log: (@Sendable (String) -> Void)?
    /// Bytes of each captured stream kept (the tail: the end of a chatty tool's output explains its failure).
    public var captureLimit: Int
    /// Called once the child runs, with its PID (which is also its process group ID).
    public var onStart: (@Sendable (pid_t) -> Void)?

    /// Describes a run.
    /// - Parameters:
    ///   - arguments: Program and arguments.
    ///   - environment: Variables added to the inherited (allow-listed) environment.
    ///   - workingDirectory: Working directory.
    ///   - input: Standard input.
    ///   - output: Standard output.
    ///   - timeout: Time limit.
    ///   - gracePeriod: SIGTERM-to-SIGKILL delay.
    ///   - captureLimit: Tail bytes kept per stream.
    ///   - log: Line-by-line output sink.
    public init(
        _ arguments: [String], environment: [String: String] = [:], workingDirectory: String? = nil, input: Input = .none,
        output: Output = .capture, timeout: Duration? = nil, gracePeriod: Duration = .seconds(5), captureLimit: Int = 16 << 20,
        log: (@Sendable (String) -> Void)? = nil
    ) {
        precondition(!arguments.isEmpty, "a ChildProcess needs a program")
        self.arguments = arguments
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.input = input
        self.output = output
        self.timeout = timeout
        self.gracePeriod = gracePeriod
        self.captureLimit = captureLimit
        self.log = log
    }

    /// The program's name as given.
    public var program: String { arguments[0] }

    /// Runs the program to its end.
    /// - Returns: Status and output; a non-zero status is a result, not an error.
    /// - Throws: ``ChildProcessError`` when it cannot start, `CancellationError` when the task was cancelled
    ///   (the child's group has been ended by then).
    public func run() async throws -> ChildProcessResult {
        guard let executable = ProgramPath.find(program, searchPath: environment["PATH"]) else {
            throw ChildProcessError.programMissing(program: program)
        }
        var configuration = Configuration(
            executable: .path(FilePath(executable)), arguments: Arguments(Array(arguments.dropFirst())),
            // NUL-terminated: swift-subprocess 1.0.2 hands each entry to strdup, which reads past an unterminated one.
            environment: .custom(mergedEnvironment().map { Array("\($0.key)=\($0.value)".utf8) + [0] }),
            workingDirectory: workingDirectory.map { FilePath($0) })
        configuration.platformOptions.processGroupID = 0
        configuration.platformOptions.teardownSequence = teardown
        let capture = CapturedStreams(limit: captureLimit, log: log)
        let outcome: Outcome
        do {
            outcome = try await start(configuration, capture: capture)
        } catch let error as SubprocessError {
            try Task.checkCancellation()
            throw ChildProcessError.startFailed(program: program, reason: "\(error)")
        } catch let error as ChildProcessError {
            throw error
        } catch {
            try Task.checkCancellation()
            throw ChildProcessError.monitoringFailed(program: program, reason: "\(error)")
        }
        try Task.checkCancellation()
        capture.flush()
        return ChildProcessResult(status: outcome.status, stdout: capture.stdout, stderr: capture.stderrText, timedOut: outcome.timedOut)
    }

    /// SIGTERM to the group, SIGKILL to the group after the grace period (swift-subprocess appends the kill).
    private var teardown: [TeardownStep] {
        [.gracefulShutDown(toProcessGroup: true, allowedDurationToNextStep: gracePeriod)]
    }

    /// The child's environment: the inherited part of labforge's (``inheritance``) plus ``environment``.
    func mergedEnvironment() -> [String: String] {
        ChildEnvironment.child(adding: environment, inheritance: inheritance)
    }

    private struct Outcome {
        var status: Int32
        var timedOut: Bool
    }

    /// Picks swift-subprocess's input and output types for ``input`` and ``output`` and runs.
    private func start(_ configuration: Configuration, capture: CapturedStreams) async throws -> Outcome {
        let outputFile: FileDescriptor?
        switch output {
        case .file(let path):
            do {
                outputFile = try FileDescriptor.open(
                    FilePath(path), .writeOnly, options: [.create, .truncate, .closeOnExec], permissions: [.ownerReadWrite, .groupRead, .otherRead])
            } catch {
                throw ChildProcessError.startFailed(program: program, reason: "cannot write its output to \(path): \(error)")
            }
        case .capture, .discard:
            outputFile = nil
        }
        switch (input, output) {
        case (.data(let bytes), .capture):
            return try await execute(configuration, input: .inputWriter, output: .sequence, capture: capture) { execution in
                try await Self.feed(bytes, to: execution)
            } stdout: { $0.standardOutput }
        case (.data(let bytes), .discard):
            return try await execute(configuration, input: .inputWriter, output: .discarded, capture: capture) { execution in
                try await Self.feed(bytes, to: execution)
            } stdout: { _ in nil }
        case (.data(let bytes), .file):
            return try await execute(
                configuration, input: .inputWriter, output: .fileDescriptor(outputFile!, closeAfterSpawningProcess: true), capture: capture
            ) { execution in
                try await Self.feed(bytes, to: execution)
            } stdout: { _ in nil }
        case (.none, _), (.file, _):
            let inputFile: FileDescriptor
            do {
                if case .file(let path) = input {
                    inputFile = try FileDescriptor.open(FilePath(path), .readOnly, options: [.closeOnExec])
                } else {
                    inputFile = try FileDescriptor.open(FilePath("/dev/null"), .readOnly, options: [.closeOnExec])
                }
            } catch {
                try? outputFile?.close()
                let name: String = if case .file(let path) = input { path } else { "/dev/null" }
                throw ChildProcessError.startFailed(program: program, reason: "cannot read its input \(name): \(error)")
            }
            let fileInput = FileDescriptorInput.fileDescriptor(inputFile, closeAfterSpawningProcess: true)
            switch output {
            case .capture:
                return try await execute(configuration, input: fileInput, output: .sequence, capture: capture) { _ in } stdout: { $0.standardOutput }
            case .discard:
                return try await execute(configuration, input: fileInput, output: .discarded, capture: capture) { _ in } stdout: { _ in nil }
            case .file:
                return try await execute(
                    configuration, input: fileInput, output: .fileDescriptor(outputFile!, closeAfterSpawningProcess: true), capture: capture
                ) { _ in } stdout: { _ in nil }
            }
        }
    }

    private static func feed<O: OutputProtocol>(_ bytes: Data, to execution: Execution<CustomWriteInput, O, SequenceOutput>) async throws {
        // A child that exits without reading its input closes the pipe: that is its business, not an error here.
        _ = try? await execution.standardInputWriter.write(Array(bytes))
        try? await execution.standardInputWriter.finish()
    }

    /// Runs with the chosen types: reads the streams, enforces the time limit, ends leftover group members.
    private func execute<I: InputProtocol, O: OutputProtocol>(
        _ configuration: Configuration, input: I, output: O, capture: CapturedStreams,
        feed: @escaping @Sendable (Execution<I, O, SequenceOutput>) async throws -> Void,
        stdout: @escaping @Sendable (Execution<I, O, SequenceOutput>) -> SubprocessOutputSequence?
    ) async throws -> Outcome {
        let timeout = self.timeout
        let teardown = self.teardown
        let onStart = self.onStart
        let timedOut = TimeoutFlag()
        let group = GroupRecord()
        let termination: TerminationStatus
        do {
            termination = try await Subprocess.run(configuration, input: input, output: output, error: .sequence) { execution in
                let leader = execution.processIdentifier.value
                group.set(leader)
                RunningChildren.register(group: leader)
                onStart?(leader)
                try await withThrowingTaskGroup(of: Bool.self) { tasks in
                    tasks.addTask {
                        try await withThrowingTaskGroup(of: Void.self) { streams in
                            if let sequence = stdout(execution) {
                                streams.addTask { for try await buffer in sequence { buffer.withUnsafeBytes { capture.append($0, to: .stdout) } } }
                            }
                            streams.addTask { for try await buffer in execution.standardError { buffer.withUnsafeBytes { capture.append($0, to: .stderr) } } }
                            streams.addTask { try await feed(execution) }
                            try await streams.waitForAll()
                        }
                        return false
                    }
                    if let timeout {
                        tasks.addTask {
                            guard (try? await Task.sleep(for: timeout)) != nil else { return true }
                            timedOut.set()
                            await execution.teardown(using: teardown)
                            return true
                        }
                    }
                    // The streams end when the child has exited (swift-subprocess cancels reads a grandchild keeps open).
                    while let finished = try await tasks.next() {
                        if !finished { tasks.cancelAll() }
                    }
                }
            }.terminationStatus
        } catch {
            // On cancel swift-subprocess's teardown waits for the leader only: a member still running (a hook's dpkg
            // writing into a tree its caller is about to remove) must be gone before the caller cleans up.
            await endGroup(group)
            throw error
        }
        await endGroup(group)
        let status: Int32
        switch termination {
        case .exited(let code): status = code
        case .signaled(let signal): status = 128 + signal
        }
        return Outcome(status: status, timedOut: timedOut.isSet)
    }

    /// Ends what is left of the child's group and forgets it.
    private func endGroup(_ group: GroupRecord) async {
        guard let leader = group.value else { return }
        await endStragglers(of: leader)
        RunningChildren.unregister(group: leader)
    }

    /// A member of the child's group still alive after the leader was reaped gets SIGTERM, then SIGKILL.
    private func endStragglers(of group: pid_t) async {
        guard RunningChildren.isAlive(group) else { return }
        kill(-group, SIGTERM)
        let deadline = ContinuousClock.now + gracePeriod
        while RunningChildren.isAlive(group), ContinuousClock.now < deadline {
            // An unstructured task does not inherit cancellation: an interrupt must not cut the grace period short.
            await Task { try? await Task.sleep(for: .milliseconds(50)) }.value
        }
        guard RunningChildren.isAlive(group) else { return }
        kill(-group, SIGKILL)
        // SIGKILL lands asynchronously: wait (briefly) until the kernel has ended them, so callers see them gone.
        let killed = ContinuousClock.now + .seconds(1)
        while RunningChildren.isAlive(group), ContinuousClock.now < killed {
            await Task { try? await Task.sleep(for: .milliseconds(10)) }.value
        }
    }
}

/// Whether the time limit fired.
private final class TimeoutFlag: Sendable {
    private let flag = Mutex(false)
    func set() { flag.withLock { $0 = true } }
    var isSet: Bool { flag.withLock { $0 } }
}

/// The child's process group, known once it has started.
private final class GroupRecord: Sendable {
    private let group = Mutex<pid_t?>(nil)
    func set(_ value: pid_t) { group.withLock { $0 = value } }
    var value: pid_t? { group.withLock { $0 } }
}
