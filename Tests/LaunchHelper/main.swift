// A process for the launcher's tests: what happens when the process that launched a child dies, or ends its children on
// an interrupt, can only be watched from outside it (and RunningChildren's stopAll/killAll inside the test runner would
// end the children of every other test running beside them).
import Foundation
import ProcessRunner

/// Prints `line` on standard output at once (the test reads it while this process runs).
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

/// Launches `arguments` or ends this process with status 2, saying why.
func launch(_ arguments: [String], ending: RunningChildren.Ending) -> LongLivedChild {
    do {
        return try LongLivedChild.launch(arguments, output: .capture, ending: ending, name: "helper")
    } catch {
        FileHandle.standardError.write(Data("labforge-launch-helper: \(error)\n".utf8))
        exit(2)
    }
}

/// Waits (up to a minute) until a shell child has set its traps and said `ready`.
func waitUntilReady(_ child: LongLivedChild) {
    for _ in 0..<3000 where !child.capturedOutput.contains("ready") {
        guard !child.waitForExit(seconds: 0.02) else { break }
    }
}

let arguments = Array(CommandLine.arguments.dropFirst())
switch arguments.first {
case "launch-and-wait":
    // The test SIGKILLs this process once the PID is printed: the child must not outlive it.
    let child = launch(Array(arguments.dropFirst()), ending: .kill)
    say("pid \(child.pid)")
    say("ended \(await child.exited())")
case "stop-all":
    // The first signal: SIGKILL for a throwaway that ignores SIGTERM, SIGTERM for a child that may clean up.
    let throwaway = launch(["sh", "-c", "trap '' TERM; echo ready; sleep 1000"], ending: .kill)
    let graceful = launch(["sh", "-c", "trap 'exit 7' TERM; echo ready; sleep 1000 & wait"], ending: .terminate)
    waitUntilReady(throwaway)
    waitUntilReady(graceful)
    say("registered \(RunningChildren.groups.isSuperset(of: [throwaway.pid, graceful.pid]))")
    RunningChildren.stopAll()
    say("throwaway \(await throwaway.exited())")
    say("graceful \(await graceful.exited())")
    say("left \(RunningChildren.groups.count)")
case "kill-all":
    // The grace period's end: SIGKILL for every group, one that ignores SIGTERM included.
    let stubborn = launch(["sh", "-c", "trap '' TERM; echo ready; sleep 1000"], ending: .terminate)
    waitUntilReady(stubborn)
    say("registered \(RunningChildren.groups.contains(stubborn.pid))")
    RunningChildren.killAll()
    say("stubborn \(await stubborn.exited())")
    say("left \(RunningChildren.groups.count)")
default:
    FileHandle.standardError.write(Data("usage: labforge-launch-helper launch-and-wait PROGRAM [ARGUMENT…] | stop-all | kill-all\n".utf8))
    exit(2)
}
