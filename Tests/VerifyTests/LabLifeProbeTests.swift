// Issue 28's probes without a VM: which recipes get lab-tasks, home-reset and idle-stop; qemu-ga's guest-exec answers
// decoded; the lab-tasks proof run against the real `lab` script on this host; the home disk on qemu's command line;
// the reset boot's results merged into the report.
import Foundation
import Hypervisor
import LabforgeRecipe
import Recipes
import Testing
import TestSupport
@testable import Verify

/// A lab recipe like the shipped linux-basics: terminal, desktop, two tasks (one without a solve script), an idle stop
/// and a persistent home.
private enum LabLife {
    static let tasks = LabTasks(user: "student") {
        LabTask("Create the notes file", check: #"grep -qx hello "${LAB_ROOT:-}/srv/notes.txt""#,
                solve: #"mkdir -p "${LAB_ROOT:-}/srv" && echo hello > "${LAB_ROOT:-}/srv/notes.txt""#)
        LabTask(#"Say "done""#, check: #"test -e "${LAB_ROOT:-}/srv/done""#)
    }

    static func recipe(lifetime: LabLifetime? = LabLifetime(idleStop: .minutes(30), timeLimit: .hours(4)), home: Bool = true) -> Recipe {
        Recipe(name: "lab-life") {
            CreateUser("student")
            WebTerminal(user: "student")
            WebDesktop(user: "student")
            tasks
            if let lifetime { lifetime }
            if home { PersistentHome() }
        }
    }
}

/// The lab-tasks proof's transport in these tests: `sh -c` on this host, as root, with `LAB_ROOT` set to a scratch
/// tree holding the tasks' files as their steps write them. Only the transport differs from a VM (there: qemu-ga's
/// guest-exec); the `lab` script and the proof's logic are the real ones.
private struct HostShellRunner: GuestCommandRunner {
    let root: TemporaryDirectory

    init(_ tasks: LabTasks?) throws {
        root = try TemporaryDirectory(prefix: "labforge-lab-proof")
        for step in tasks?.steps ?? [] {
            if case .makeDirectory(let path, let mode, _) = step {
                try FileManager.default.createDirectory(atPath: root.path + path, withIntermediateDirectories: true, attributes: [.posixPermissions: mode])
            } else if case .writeFile(let path, let contents, let mode, _) = step {
                try FileManager.default.createDirectory(atPath: root.path + (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try Data(contents.utf8).write(to: URL(fileURLWithPath: root.path + path))
                try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: root.path + path)
            }
        }
    }

    func run(_ script: String, timeout: Double) async throws -> GuestCommandOutput {
        let result = try await Command.run(["sh", "-c", script], environment: ["LAB_ROOT": root.path])
        return GuestCommandOutput(status: result.status, stdout: result.stdoutData, stderr: Data(result.stderr.utf8))
    }
}

/// `lab check` runs the checks itself only as root (else it asks the check service, which is not running here).
private let canRunLabAsRoot = getuid() == 0 && ["/usr/bin/flock", "/usr/bin/timeout"].allSatisfy { FileManager.default.isExecutableFile(atPath: $0) }

@Suite("lab-tasks, home-reset, idle-stop: plans, guest-exec, the tasks proof on the real lab script")
struct LabLifeProbeTests {
    @Test("a lab recipe gets lab-tasks, home-reset and idle-stop after the basic probes, idle-stop last; a lifetime without an idle stop gets no idle-stop; the shipped terminal and desktop recipes none; pod images never")
    func plans() throws {
        let plan = ProbePlan(recipe: LabLife.recipe())
        #expect(plan.targets.suffix(6) == [.ssh, .cloudInit, .guestAgent, .labTasks, .homeReset, .idleStop])
        #expect(plan.targets.last == .idleStop)
        #expect(ProbePlan(recipe: LabLife.recipe(lifetime: LabLifetime(timeLimit: .hours(1)), home: false)).targets.suffix(2) == [.guestAgent, .labTasks])
        for recipe in [debianTerminal, debianDesktop] {
            let names = ProbePlan(recipe: recipe).targets.map(\.name)
            #expect(!names.contains("lab-tasks") && !names.contains("home-reset") && !names.contains("idle-stop"), "\(recipe.name)")
        }
        let pod = ImageVerifier.containerTargets(plan).targets
        #expect(!pod.isEmpty && !pod.contains(.labTasks) && !pod.contains(.homeReset) && !pod.contains(.idleStop))
        // The primary boot runs them (UEFI adds secure-boot after); the shorter boots of the other firmwares do not.
        #expect(FirmwareBootRun.fullPlan(plan, under: .uefi).targets.suffix(4) == [.labTasks, .homeReset, .idleStop, .secureBoot])
        #expect(FirmwareBootRun.firstAgentPlan(plan, under: .bios).targets == [plan.targets[0]])
        #expect([ProbeTarget.labTasks, .homeReset, .idleStop].allSatisfy { $0.guestPort == nil && !$0.probesAgent })
    }

    @Test("--probe lab-tasks, home-reset, idle-stop parse and read back; with a port they are refused")
    func parsing() throws {
        for target in [ProbeTarget.labTasks, .homeReset, .idleStop] {
            #expect(try ProbeTarget.parse(target.name) == target)
            #expect(try ProbeTarget.parse(target.argument) == target)
        }
        #expect(throws: VerifyError.invalidProbe("idle-stop:7681")) { try ProbeTarget.parse("idle-stop:7681") }
        #expect(VerifyError.invalidProbe("x").description.contains("lab-tasks, home-reset or idle-stop"))
    }

    @Test("a cached report covers a lab plan only with a passed result for each new probe; the reset boot's home-reset replaces the primary's first half")
    func reports() throws {
        let plan = ProbePlan(targets: [.guestAgent, .labTasks, .homeReset, .idleStop])
        func result(_ name: String, _ passed: Bool = true) -> ProbeResult {
            ProbeResult(probe: name, passed: passed, seconds: 1, attempts: 1, detail: name)
        }
        var report = VerificationReport(
            disk: "d", accelerator: "tcg", results: ["guest-agent", "lab-tasks", "home-reset"].map { result($0) }, passed: true, seconds: 1,
            stoppedBy: "powerdown", consoleTail: "", finishedAt: "")
        #expect(!report.covers(plan))
        report.results.append(result("idle-stop"))
        #expect(report.covers(plan))
        report.results[3].passed = false
        #expect(!report.covers(plan))

        let merged = Verifier.merge(
            reset: [result("guest-agent"), ProbeResult(probe: "home-reset", passed: true, seconds: 50, attempts: 2, detail: "kept")],
            into: [result("guest-agent"), ProbeResult(probe: "home-reset", passed: true, seconds: 80, attempts: 1, detail: "written"), result("idle-stop")])
        #expect(merged.map(\.probe) == ["guest-agent", "home-reset", "idle-stop", "guest-agent (reset)"])
        #expect(merged[1].detail == "kept")

        // The reset boot is a new field: the table says it, a report written before it still decodes.
        report.resetBoot = .init(firmware: .uefi, passed: true, kernelStarted: true, probes: ["guest-agent", "home-reset"], seconds: 52)
        #expect(report.table.contains("reset boot (uefi, fresh system disk, same home disk): booted, guest-agent, home-reset passed (52.0 s)"))
        var older = try #require(try JSONSerialization.jsonObject(with: try report.json()) as? [String: Any])
        #expect(older.removeValue(forKey: "resetBoot") != nil)
        let decoded = try JSONDecoder().decode(VerificationReport.self, from: try JSONSerialization.data(withJSONObject: older))
        #expect(decoded.resetBoot == nil && decoded.results == report.results)
    }

    @Test("guest-exec-status answers as qemu-ga sends them: running, exited with base64 output, ended by a signal; anything else is refused")
    func guestExecStatus() throws {
        func decode(_ line: String) throws -> GuestExecStatus {
            let answer = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            return try GuestExecStatus(decoding: try #require(answer["return"]))
        }
        let running = try decode(#"{"return": {"exited": false}}"#)
        #expect(!running.exited && running.output == nil)
        let done = try decode(#"{"return": {"exitcode": 0, "out-data": "WyBdIDEuIENyZWF0ZSB0aGUgbm90ZXMgZmlsZQo=", "exited": true}}"#)
        #expect(done.output == GuestCommandOutput(status: 0, stdout: Data("[ ] 1. Create the notes file\n".utf8), stderr: Data()))
        let failed = try decode(#"{"return": {"exitcode": 2, "err-data": "bGFiOiB0aGVyZSBpcyBubyB0YXNrIDkK", "out-truncated": true, "exited": true}}"#)
        #expect(failed.output?.status == 2 && failed.truncated && failed.output?.tail() == "lab: there is no task 9")
        #expect(try decode(#"{"return": {"signal": 9, "exited": true}}"#).output?.status == 137)
        #expect(throws: SocketFailure.self) { try decode(#"{"return": {"exited": true, "exitcode": 0, "out-data": "not base64!"}}"#) }
        #expect(throws: SocketFailure.self) { try decode(#"{"return": {"pid": 1234}}"#) }
    }

    @Test("idle.json as lab-idle writes it: sessions, idleSince (null while a session is open), the effective window and the override flag")
    func idleState() throws {
        let open = try IdleState(Data(#"{"sessions": 1, "uptime": 430, "idleSince": null, "stopAt": null, "reason": null, "idleStop": 60, "timeLimit": 14400, "warning": 20, "override": true, "stopping": false, "updatedAt": "2026-12-06T07:00:00Z"}"#.utf8))
        #expect(open.sessions == 1 && open.idleSince == nil && open.idleStop == 60 && open.override && !open.stopping)
        let idle = try IdleState(Data(#"{"sessions": 0, "uptime": 500, "idleSince": 440, "stopAt": 500, "reason": "idle", "idleStop": 60, "timeLimit": 0, "warning": 20, "stopping": true, "updatedAt": "x"}"#.utf8))
        #expect(idle.idleSince == 440 && idle.stopping && !idle.override)
        #expect(throws: FinalFailure.self) { try IdleState(Data("lab-idle: starting".utf8)) }
        // The proof's limits: the window and two ticks held; that plus the shutdown's slack to power off (tripled on arm64).
        var options = VerifyOptions()
        options.architecture = .arm64
        #expect(options.scaledForArchitecture.powerOffSlack == 180 && VerifyOptions().scaledForArchitecture.powerOffSlack == 60)
    }

    @Test("the home disk is a virtio disk with serial lab-home, written through (not cache=unsafe); none without one")
    func homeDisk() throws {
        var invocation = QemuInvocation(
            overlayPath: "/t/overlay.qcow2", seedPath: "/t/seed.iso", consolePath: "/t/console.log", qmpSocketPath: "/t/qmp.sock",
            guestAgentSocketPath: "/t/qga.sock", pidFilePath: "/t/qemu.pid", forwards: [], accelerator: .tcg)
        #expect(!invocation.arguments.contains { $0.contains("lab-home") })
        invocation.homeDiskPath = "/t/home.qcow2"
        let arguments = invocation.arguments
        let drive = try #require(arguments.firstIndex(of: "file=/t/home.qcow2,if=none,id=labhome,format=qcow2"))
        #expect(arguments[drive - 1] == "-drive" && arguments[drive + 1] == "-device" && arguments[drive + 2] == "virtio-blk-pci,drive=labhome,serial=lab-home")
    }

    @Test("home-reset refuses a /home that is not on the lab-home disk, before writing any mark (run on this host, whose /home is no mount)",
          .enabled(if: getuid() == 0 && (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8))?.contains(" /home ") == false, "needs root and a /home that is not a mount point"))
    func homeRefusal() async throws {
        let marks = HomeResetMarks.random(user: "nobody")
        #expect(marks.homeToken.count == 32 && marks.homeToken != marks.systemToken)
        let proof = HomeResetProof(runner: try HostShellRunner(nil), marks: marks)
        await #expect(throws: FinalFailure.self) { try await proof.write() }
        do { _ = try await proof.write() } catch {
            #expect("\(error)".hasPrefix("/home on the system disk (no label), not on the disk with serial lab-home"))
        }
        #expect(!FileManager.default.fileExists(atPath: HomeResetProof.systemFile))
    }

    @Test("lab-tasks on the real lab script: each check fails on the fresh tree, the solved one passes after its solve, the other says it has no solve script; results.json agrees",
          .enabled(if: canRunLabAsRoot, "needs root, flock and timeout"))
    func tasksProven() async throws {
        let proof = LabTasksProof(runner: try HostShellRunner(LabLife.tasks))
        let tasks = try await proof.tasks()
        #expect(tasks == [.init(number: 1, title: "Create the notes file"), .init(number: 2, title: #"Say "done""#)])
        #expect(try await proof.prove(tasks) == #"""
            task 1 "Create the notes file": check failed on the fresh image (exit 1), solve (exit 0), check passed; \#
            task 2 "Say \"done\"": check failed on the fresh image (exit 1), no solve script: passing not proven; results.json: 2 tasks, 1 passed
            """#)
    }

    @Test("lab-tasks fails naming the task: a check that never fails, a check that never passes, a solve that fails; a tree without lab is retried, not failed",
          .enabled(if: canRunLabAsRoot, "needs root, flock and timeout"))
    func tasksRefused() async throws {
        func failure(_ task: LabTask) async throws -> String {
            let proof = LabTasksProof(runner: try HostShellRunner(LabTasks { task }))
            do {
                _ = try await proof.prove(try await proof.tasks())
                return "proved"
            } catch let failure as FinalFailure {
                return failure.description
            }
        }
        #expect(try await failure(LabTask("Always", check: "true", solve: "true"))
            == #"task 1 ("Always"): its check passes on the fresh image — a check that never fails proves nothing"#)
        #expect(try await failure(LabTask("Never", check: "false", solve: "true"))
            == #"task 1 ("Never"): its check still fails after its solve script (exit 1): [ ] 1. Never: not done yet"#)
        #expect(try await failure(LabTask("Broken solve", check: "false", solve: "echo no disk space >&2; exit 3"))
            == #"task 1 ("Broken solve"): its solve script failed (exit 3): no disk space"#)
        let missing = LabTasksProof(runner: try HostShellRunner(nil))
        await #expect(throws: ProbeFailure.self) { _ = try await missing.tasks() }
    }
}
