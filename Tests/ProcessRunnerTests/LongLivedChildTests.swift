// The one launcher of long-lived children and the one kill registry, against real programs (sh, sleep). No VM.
import Foundation
import Glibc
import ProcessRunner
import Testing
import TestSupport

@Suite("LongLivedChild and RunningChildren", .serialized)
struct LongLivedChildTests {
    /// The helper that launches children and is killed or interrupted from outside, built next to `labforge`.
    private static var helper: String {
        URL(fileURLWithPath: Command.labforgeBinary).deletingLastPathComponent().appendingPathComponent("labforge-launch-helper").path
    }

    @Test("captures standard output and error, takes standard input from a pipe, leads its own group, registered until reaped")
    func streamsStatusAndRegistration() async throws {
        let child = try LongLivedChild.launch(
            ["sh", "-c", "echo out; echo err >&2; read line; echo \"got $line\"; exit 3"], input: .pipe, output: .capture, error: .capture,
            ending: .terminate, name: "test")
        #expect(getpgid(child.pid) == child.pid)
        #expect(RunningChildren.groups.contains(child.pid))
        #expect(child.isRunning && child.exitStatus == nil)
        let input = try #require(child.standardInput)
        try input.write(contentsOf: Data("hello\n".utf8))
        try input.close()
        #expect(await child.exited() == 3)
        #expect(child.exitStatus == 3 && !child.isRunning)
        #expect(child.capturedOutput == "out\ngot hello\n")
        #expect(child.capturedError == "err\n")
        #expect(!RunningChildren.groups.contains(child.pid))
    }

    @Test("both streams to one file share it; the environment is exactly what was given, or the allow-list plus what was added")
    func filesAndEnvironment() async throws {
        let scratch = try TemporaryDirectory(prefix: "labforge-launcher")
        let log = scratch.appending("log")
        let exact = try LongLivedChild.launch(
            ["/bin/sh", "-c", "echo one; echo two >&2; echo three; env | sort"], environment: .exactly(["PATH": "/usr/bin:/bin", "ONLY": "this"]),
            output: .file(log), error: .file(log), name: "test")
        #expect(await exact.exited() == 0)
        let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(lines.prefix(3) == ["one", "two", "three"])
        #expect(Set(lines.dropFirst(3).filter { !$0.hasPrefix("PWD=") && !$0.hasPrefix("SHLVL=") && !$0.hasPrefix("_=") }) == ["ONLY=this", "PATH=/usr/bin:/bin"])
        // Inherited: the allow-listed part of this process's environment plus what was added, read as it is. (It was
        // set here with setenv before, which raced ChildEnvironmentTests reading the same environment meanwhile: that
        // test failed once in make test, seeing this test's variable in its child.)
        let outside = ProcessInfo.processInfo.environment.keys.filter { !ChildEnvironment.allows($0) }
        try #require(!outside.isEmpty, "this process's environment holds only allow-listed variables: nothing to leave out")
        let inherited = try LongLivedChild.launch(["env"], environment: .inherited(adding: ["ADDED": "yes"]), output: .capture, name: "test")
        #expect(await inherited.exited() == 0)
        let variables = Set(inherited.capturedOutput.split(separator: "\n").map(String.init))
        #expect(variables == Set(ChildEnvironment.child(adding: ["ADDED": "yes"]).map { "\($0.key)=\($0.value)" }))
        #expect(variables.contains("ADDED=yes"))
        #expect(!outside.contains { name in variables.contains { $0.hasPrefix(name + "=") } }, "\(outside)")
    }

    @Test("a missing program is named; kill ends the group, and the status says SIGKILL")
    func missingProgramAndKill() async throws {
        #expect(throws: ChildProcessError.programMissing(program: "labforge-no-such-tool")) {
            try LongLivedChild.launch(["labforge-no-such-tool"], name: "test")
        }
        let marker = uniqueSleep()
        let child = try LongLivedChild.launch(["sh", "-c", "trap '' TERM; sleep \(marker) & wait"], name: "test")
        try await waitUntil { processes(named: marker).count == 2 }  // sh and its sleep
        #expect(child.kill(waitingUpTo: 10))
        #expect(child.exitStatus == 128 + SIGKILL)
        // The grandchild was in the group: gone too.
        try await waitUntil { processes(named: marker).isEmpty }
    }

    @Test("a child launched from a thread that then ends keeps running: the launcher's own thread is its parent")
    func outlivesTheCallingThread() throws {
        // A pthread joined before the check: had the child been spawned from it, PR_SET_PDEATHSIG would have killed it.
        let launch = ThreadLaunch(marker: uniqueSleep())
        var thread = pthread_t()
        let created = pthread_create(&thread, nil, { raw in
            guard let raw else { return nil }
            let launch = Unmanaged<ThreadLaunch>.fromOpaque(raw).takeRetainedValue()
            do { launch.child = try LongLivedChild.launch(["sleep", launch.marker], name: "test") } catch { launch.error = error }
            return nil
        }, Unmanaged.passRetained(launch).toOpaque())
        #expect(created == 0)
        #expect(pthread_join(thread, nil) == 0)
        let child = try #require(launch.child, "launch failed: \(String(describing: launch.error))")
        #expect(!child.waitForExit(seconds: 1), "the child died with the thread that launched it")
        #expect(processes(named: launch.marker) == [child.pid])
        #expect(child.kill(waitingUpTo: 10))
    }

    @Test("a SIGKILLed labforge takes its long-lived child with it (setpriv --pdeathsig)")
    func diesWithItsParent() async throws {
        let marker = uniqueSleep()
        let helper = try LongLivedChild.launch([Self.helper, "launch-and-wait", "sleep", marker], output: .capture, error: .capture, name: "test")
        try await waitUntil { helper.capturedOutput.hasPrefix("pid ") || !helper.isRunning }
        let pid = try #require(Int32(helper.capturedOutput.dropFirst(4).prefix { $0.isNumber }), "helper said: \(helper.capturedOutput) \(helper.capturedError)")
        // Spawned a moment ago: on a busy machine its command line may not read yet (mid-exec through setpriv and env).
        try await waitUntil { processes(named: marker).contains(pid) }
        #expect(processes(named: marker).contains(pid))
        // SIGKILL for the helper process alone, not its group: only the kernel's death signal can end the sleep.
        kill(helper.pid, SIGKILL)
        #expect(await helper.exited() == 128 + SIGKILL)
        try await waitUntil { !processes(named: marker).contains(pid) }
        #expect(!processes(named: marker).contains(pid), "sleep \(marker) outlived the process that launched it")
    }

    @Test("stopAll kills throwaways and sends SIGTERM to the rest; killAll ends what ignores SIGTERM; nothing stays registered")
    func registryEndsEverything() async throws {
        // In a process of its own: stopAll and killAll here would end the children of every test running beside this one.
        let stopped = try LongLivedChild.launch([Self.helper, "stop-all"], output: .capture, error: .capture, name: "test")
        #expect(await stopped.exited() == 0, "\(stopped.capturedError)")
        #expect(stopped.capturedOutput == "registered true\nthrowaway \(128 + SIGKILL)\ngraceful 7\nleft 0\n")
        let killed = try LongLivedChild.launch([Self.helper, "kill-all"], output: .capture, error: .capture, name: "test")
        #expect(await killed.exited() == 0, "\(killed.capturedError)")
        #expect(killed.capturedOutput == "registered true\nstubborn \(128 + SIGKILL)\nleft 0\n")
    }
}

/// What a test thread launched, handed back to the test.
private final class ThreadLaunch: @unchecked Sendable {
    let marker: String
    var child: LongLivedChild?
    var error: Error?

    init(marker: String) { self.marker = marker }
}
