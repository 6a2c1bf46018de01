// The process runner against real programs: sh, cat, sleep. Nothing here needs a VM.
import Foundation
import Glibc
import ProcessRunner
import Synchronization
import Testing

@Suite("ChildProcess", .serialized)
struct ChildProcessTests {
    @Test("captures both streams and the exit status")
    func capturesOutput() async throws {
        let result = try await ChildProcess(["sh", "-c", "echo out; echo err >&2; exit 3"]).run()
        #expect(result.status == 3)
        #expect(result.stdoutText == "out\n")
        #expect(result.stderr == "err\n")
        #expect(!result.succeeded)
        #expect(result.message == "err")
    }

    @Test("the environment reaches the child exactly, added variables included")
    func environment() async throws {
        let result = try await ChildProcess(["sh", "-c", "printf '%s|%s' \"$LABFORGE_RUNNER_TEST\" \"$HOME\""],
            environment: ["LABFORGE_RUNNER_TEST": "tcg"]).run()
        #expect(result.stdoutText == "tcg|" + (ProcessInfo.processInfo.environment["HOME"] ?? ""))
        let listed = try await ChildProcess(["env"], environment: ["LABFORGE_RUNNER_TEST": "tcg"]).run().stdoutText
        #expect(listed.split(separator: "\n").contains("LABFORGE_RUNNER_TEST=tcg"))
    }

    @Test("a program that is not in PATH is named")
    func missingProgram() async throws {
        await #expect(throws: ChildProcessError.programMissing(program: "labforge-no-such-tool")) {
            try await ChildProcess(["labforge-no-such-tool"]).run()
        }
    }

    @Test("standard input from bytes and from a file, standard output to a file")
    func inputAndOutput() async throws {
        let echoed = try await ChildProcess(["cat"], input: .data(Data("hello\n".utf8))).run()
        #expect(echoed.stdoutText == "hello\n")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("runner-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Data("from file".utf8).write(to: URL(fileURLWithPath: directory + "/in"))
        let copied = try await ChildProcess(["cat"], input: .file(directory + "/in"), output: .file(directory + "/out")).run()
        #expect(copied.succeeded && copied.stdout.isEmpty)
        #expect(try String(contentsOfFile: directory + "/out", encoding: .utf8) == "from file")
        await #expect(throws: ChildProcessError.self) { try await ChildProcess(["cat"], input: .file(directory + "/missing")).run() }
    }

    @Test("output reaches the log line by line, in order")
    func streamsLines() async throws {
        let lines = Mutex<[String]>([])
        _ = try await ChildProcess(["sh", "-c", "printf 'a\\nb\\n'; printf c"], log: { line in lines.withLock { $0.append(line) } }).run()
        #expect(lines.withLock { $0 } == ["a", "b", "c"])
    }

    @Test("a time limit ends the whole group, a grandchild that ignores SIGTERM included")
    func timeoutEndsGroup() async throws {
        let marker = uniqueSleep()
        // The grandchild ignores SIGTERM, so only the SIGKILL after the grace period ends it.
        let result = try await ChildProcess(
            ["sh", "-c", "(trap '' TERM; sleep \(marker)) & sleep 60"], timeout: .milliseconds(300),
            gracePeriod: .milliseconds(500)
        ).run()
        #expect(result.timedOut)
        // Without the SIGKILL the run would have waited for the 60 s sleep, and the grandchild would still be there.
        #expect(processes(named: marker).isEmpty)
    }

    @Test("cancelling the task ends the child's group within the grace period")
    func cancellationEndsGroup() async throws {
        let marker = uniqueSleep()
        let task = Task {
            try await ChildProcess(["sh", "-c", "trap '' TERM; sleep \(marker) & wait"], gracePeriod: .milliseconds(500)).run()
        }
        try await waitUntil { !processes(named: marker).isEmpty }
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        // The grandchild ignores SIGTERM: only the SIGKILL after the grace period ends it.
        #expect(processes(named: marker).isEmpty)
    }

    @Test("waiting children do not occupy the cooperative pool")
    func doesNotBlockPool() async throws {
        // Eight one-second children at once on a pool of as few as two threads: blocking waits would take ≥ 4 s.
        let started = ContinuousClock.now
        try await withThrowingTaskGroup(of: Int32.self) { group in
            for _ in 0..<8 { group.addTask { try await ChildProcess(["sleep", "1"]).run().status } }
            for try await status in group { #expect(status == 0) }
        }
        #expect(ContinuousClock.now - started < .seconds(3))
    }

    @Test("the blocking bridge works from a thread of its own")
    func blockingBridge() async throws {
        let result = try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread { continuation.resume(with: Result { try ChildProcess(["echo", "bridged"]).runBlocking() }) }
        }
        #expect(result.stdoutText == "bridged\n")
    }

    @Test("the blocking bridge refuses an output or input file it cannot open, naming it")
    func blockingBridgeNamesUnusableFiles() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("runner-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // A usable output file is created, and an older one truncated.
        try Data("older and longer\n".utf8).write(to: URL(fileURLWithPath: directory + "/kept"))
        #expect(try ChildProcess(["echo", "kept"], output: .file(directory + "/kept")).runBlocking().succeeded)
        #expect(try String(contentsOfFile: directory + "/kept", encoding: .utf8) == "kept\n")
        // The output file's folder does not exist: the child's output must not silently go to /dev/null.
        #expect(throws: ChildProcessError.startFailed(program: "echo", reason: "cannot write its output to \(directory)/missing/out: No such file or directory")) {
            try ChildProcess(["echo", "lost"], output: .file(directory + "/missing/out")).runBlocking()
        }
        // A missing input file: the child must not silently read labforge's own standard input instead.
        #expect(throws: ChildProcessError.startFailed(program: "true", reason: "cannot read its input \(directory)/in: No such file or directory")) {
            try ChildProcess(["true"], input: .file(directory + "/in")).runBlocking()
        }
    }

    @Test("ProgramPath finds programs in PATH and takes paths as they are")
    func programPath() {
        #expect(ProgramPath.find("sh") != nil)
        #expect(ProgramPath.find("/bin/sh") == "/bin/sh")
        #expect(ProgramPath.find("labforge-no-such-tool") == nil)
        #expect(ProgramPath.find("sh", searchPath: "/nonexistent") == "/sbin/sh" || ProgramPath.find("sh", searchPath: "/nonexistent") == nil
            || ProgramPath.find("sh", searchPath: "/nonexistent") == "/usr/sbin/sh")
    }
}

/// A `sleep` duration no other process has on its command line (about 1000 s).
func uniqueSleep() -> String { "1000.\(Int.random(in: 100_000_000...999_999_999))" }

/// PIDs whose command line contains `name` (read from /proc, the way `pgrep -f` does).
func processes(named name: String) -> [Int32] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap { entry -> Int32? in
        guard let pid = Int32(entry), let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { return nil }
        return String(decoding: data, as: UTF8.self).contains(name) ? pid : nil
    }
}

/// Polls `condition` every 50 ms for up to 10 s.
func waitUntil(_ condition: () -> Bool) async throws {
    let deadline = ContinuousClock.now + .seconds(10)
    while !condition() {
        guard ContinuousClock.now < deadline else { Issue.record("condition not met within 10 s"); return }
        try await Task.sleep(for: .milliseconds(50))
    }
}
