// End to end: the shipped linux-basics lab booted under UEFI Secure Boot (TCG) — its tasks fail fresh and pass after
// their solve scripts, read back over the guest agent; an open terminal keeps it up and it powers itself off once the
// last session closes; the student's home disk outlives a reset of the system disk, an /etc change does not.
import Foundation
import Recipes
import Testing
import TestSupport

@Suite("the life of a lab end to end (TCG boots)", .serialized)
struct LabLifecycleVerifyTests {
    @Test(
        "linux-basics: lab-tasks (check fails, solve, check passes, results.json), idle-stop (kept up by a WebSocket, off after the window), home-reset (home kept, /etc reset)",
        .timeLimit(.minutes(60)), .bootsVM)
    func labLifecycle() async throws {
        let scratch = try TemporaryDirectory(prefix: "labforge-lab-e2e")
        let disk = try await SharedRecipeDisk.get(Recipes.linuxBasics).path
        let checksumBefore = try await Command.check(["sha256sum", disk]).stdout
        let report = scratch.appending("verify.json")
        let run = try await VMSlots.hold {
            let run = try LabforgeRun(
                ["verify", disk, "--recipe", "linux-basics", "--firmware", "uefi-secure-boot", "--json", "--report", report, "--timeout", "600"],
                in: scratch.path)
            await run.waitForExit()
            return run
        }
        #expect(run.status == 0, "stdout: \(run.stdout.suffix(4000))\nstderr: \(run.stderr.suffix(3000))")
        let json = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
        let results = json?["results"] as? [[String: Any]] ?? []
        for result in results { print("lab e2e: \(result["probe"]!) \(result["seconds"]!) s: \(result["detail"]!)") }
        func result(_ probe: String) -> (passed: Bool, detail: String) {
            let found = results.first { $0["probe"] as? String == probe }
            return (found?["passed"] as? Bool ?? false, found?["detail"] as? String ?? "(no \(probe) result)")
        }
        for probe in ["web-terminal", "ssh", "cloud-init", "guest-agent", "secure-boot", "lab-tasks", "idle-stop", "home-reset"] {
            #expect(result(probe).passed, "\(probe): \(result(probe).detail)")
        }
        // Both tasks: failed on the fresh image, solved, passed; the root-owned results say so.
        let tasks = result("lab-tasks").detail
        #expect(tasks.contains(#"task 1 "Make a project directory": check failed on the fresh image"#), "\(tasks)")
        #expect(tasks.contains(#"task 2 "Keep your notes private": check failed on the fresh image"#), "\(tasks)")
        #expect(tasks.components(separatedBy: "check passed").count == 3, "\(tasks)")
        #expect(tasks.contains("results.json: 2 tasks, 2 passed"), "\(tasks)")
        // Up while a terminal WebSocket was open; off on its own after the last session closed.
        let idle = result("idle-stop").detail
        #expect(idle.contains("with a terminal session open"), "\(idle)")
        #expect(idle.contains("powered off"), "\(idle)")
        // The home file outlived the reset, the /etc change did not.
        let home = result("home-reset").detail
        #expect(home.contains("kept"), "\(home)")
        #expect(home.contains("/etc/labforge-verify-system gone"), "\(home)")
        #expect(run.survivors(after: 10).isEmpty)
        // The disk under test was only read.
        #expect(try await Command.check(["sha256sum", disk]).stdout == checksumBefore)
    }
}
