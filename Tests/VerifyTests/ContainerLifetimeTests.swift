// verify --image's container and labforge: Ctrl-C ends the container (RunningChildren); a SIGKILL of labforge ends
// unshare through the launcher's setpriv --pdeathsig, as LifecycleTests show for qemu — but not the entrypoint.
import Foundation
import Glibc
import Testing
import TestSupport

@Suite("verify --image: the container and the end of labforge", .serialized, .enabled(if: geteuid() == 0))
struct ContainerLifetimeTests {
    /// Live PIDs whose command line starts with `prefix` and holds `marker`.
    private static func processes(_ prefix: String, holding marker: String) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter {
            let command = LabforgeRun.command(of: $0)
            return command.hasPrefix(prefix) && command.contains(marker) && LabforgeRun.isAlive($0)
        }
    }

    /// Starts `labforge verify --image` on an image whose entrypoint waits on `sleep <marker>`, and waits until that
    /// sleep runs. Nothing answers the image's web-terminal probe, so verify keeps trying while the container runs.
    private static func start(marker: String, in directory: TemporaryDirectory) async throws -> LabforgeRun {
        let layout = try await ContainerUserNamespaceTests.image(marker: marker, in: directory)
        let run = try LabforgeRun(["verify", "--image", layout, "--timeout", "600"], in: directory.path)
        for _ in 0..<600 where processes("/bin/sleep", holding: marker).isEmpty && run.process.isRunning {
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(!processes("/bin/sleep", holding: marker).isEmpty, "the container's sleep never appeared: \(run.stderr)")
        return run
    }

    /// Waits up to 10 s for the processes `prefix`…`marker` to be gone.
    /// - Returns: Those still alive.
    private static func survivors(_ prefix: String, holding marker: String) async throws -> [Int32] {
        for _ in 0..<100 where !processes(prefix, holding: marker).isEmpty { try await Task.sleep(for: .milliseconds(100)) }
        return processes(prefix, holding: marker)
    }

    @Test("Ctrl-C of `labforge verify --image` leaves no process of the container")
    func interruptEndsContainer() async throws {
        let directory = try TemporaryDirectory(prefix: "labforge-container-lifetime")
        let marker = "7777.\(Int.random(in: 100...999))"
        let run = try await Self.start(marker: marker, in: directory)
        kill(run.process.processIdentifier, SIGINT)
        await run.waitForExit()
        #expect(run.status == 128 + SIGINT, "stderr: \(run.stderr)")
        #expect(try await Self.survivors("/bin/sleep", holding: marker).isEmpty, "the container outlived an interrupted labforge")
        #expect(try await Self.survivors("/bin/sh", holding: marker).isEmpty)
    }

    @Test("a SIGKILLed labforge takes unshare with it; the entrypoint survives (its death signal is cleared by the switch to the image's user)")
    func crashEndsUnshare() async throws {
        let directory = try TemporaryDirectory(prefix: "labforge-container-lifetime")
        let marker = "7777.\(Int.random(in: 100...999))"
        let run = try await Self.start(marker: marker, in: directory)
        #expect(Self.processes("/usr/bin/unshare", holding: marker).count == 1)
        kill(run.process.processIdentifier, SIGKILL)
        await run.waitForExit()
        #expect(run.status == 128 + SIGKILL)
        #expect(try await Self.survivors("/usr/bin/unshare", holding: marker).isEmpty, "unshare outlived a SIGKILLed labforge")
        // PR_SET_PDEATHSIG is cleared when a process changes its user: unshare --kill-child arms it in the namespace's
        // init, whose switch to the container's root and then to the image's user clears it. Killing that init (the
        // entrypoint) would end the whole namespace; nothing on the host does that once labforge is gone.
        let left = try await Self.survivors("/bin/sh", holding: marker)
        withKnownIssue("a SIGKILL of labforge leaves the container's entrypoint running (not a regression: the launch chain is unchanged)") {
            #expect(left.isEmpty)
        }
        for pid in left { kill(pid, SIGKILL) }  // the namespace's init: the whole container goes with it
        #expect(try await Self.survivors("/bin/sleep", holding: marker).isEmpty)
    }
}
