// What each recipe step means in a pod lab, and the supervisor run for real under Debian's tini and /bin/sh.
import Foundation
import LabforgeRecipe
import Recipes
import Testing
import TestSupport

@Suite("Container plan")
struct ContainerPlanTests {
    @Test("debian-desktop: four agent services, cloud-init and the credentials unit skipped, files and users applied")
    func desktopPlan() throws {
        let plan = try ContainerPlan(recipe: Recipes.debianDesktop)
        #expect(plan.services.map(\.name) == ["lab-terminal", "lab-vnc", "lab-desktop-session", "lab-novnc"])
        #expect(plan.labUser == "student")
        #expect(plan.ports.map(\.port) == [7681, 6080])
        let skipped = plan.entries.filter { if case .skip = $0.action { return true } else { return false } }
        #expect(skipped.contains { $0.planned.origin == .agent("CloudInit") })
        #expect(skipped.contains { $0.planned.origin == .agent("BootCredentials") })
        #expect(skipped.contains { if case .unit("ttyd.service", .disable) = $0.planned.step { return true } else { return false } })
        // Unit files of agents are not written; their start scripts are.
        #expect(!plan.applied.contains { if case .writeFile(let path, _, _, _) = $0.step { return path.hasPrefix("/etc/systemd/") } else { return false } })
        #expect(plan.applied.contains { if case .writeFile(WebTerminal.scriptPath, _, _, _) = $0.step { return true } else { return false } })
        #expect(plan.applied.contains { if case .createUser(let user) = $0.step { return user.name == "student" } else { return false } })
        let vnc = try #require(plan.services.first { $0.name == "lab-vnc" })
        #expect(vnc.command == WebDesktop.scriptPath && vnc.runtimeDirectory == "lab-vnc" && vnc.restartSeconds == 5)
    }

    @Test("debian-desktop's Xfce session in a pod: its start script applied, run by lab-init with its runtime directory and display wait")
    func xfceDesktopPlan() async throws {
        let plan = try ContainerPlan(recipe: Recipes.debianDesktop)
        let session = try #require(plan.services.first { $0.name == "lab-desktop-session" })
        #expect(session.command == WebDesktop.sessionScriptPath)
        #expect(session.runtimeDirectory == "lab-desktop-session")
        #expect(session.environment == ["DISPLAY=:1"])
        #expect(session.preStart.count == 1 && session.preStart[0].contains("grep -qw @/tmp/.X11-unix/X1 /proc/net/unix"))
        // The session script, noVNC's defaults and the packages (xclip, lrzsz, the Xfce set) go into the root tree.
        for path in [WebDesktop.sessionScriptPath, WebDesktop.scriptPath, WebDesktop.noVNCDefaultsPath, WebTerminal.scriptPath] {
            #expect(plan.applied.contains { if case .writeFile(path, _, _, _) = $0.step { return true } else { return false } }, "\(path)")
        }
        let installed = Set(plan.applied.flatMap { planned -> [String] in
            if case .install(let requests) = planned.step { return requests.map(\.name) } else { return [] }
        })
        #expect(installed.isSuperset(of: ["xfce4-panel", "thunar", "xfce4-terminal", "mousepad", "firefox-esr", "dbus-x11", "xclip", "lrzsz"]))
        // lab-init gives the session its runtime directory (XDG_RUNTIME_DIR comes from it) and starts the script.
        let script = LabSupervisor.script(services: plan.services)
        #expect(script.contains("start_lab_desktop_session() (\n  export DISPLAY=:1\n  export RUNTIME_DIRECTORY=\"$runtime/lab-desktop-session\"\n"))
        #expect(script.contains("  exec \(WebDesktop.sessionScriptPath)\n"))
        let syntax = try await Command.run(["sh", "-n"], input: Data(script.utf8))
        #expect(syntax.status == 0, "\(syntax.stderr)")
    }

    @Test("refused: first-boot scripts, enabling a non-agent unit, a downloaded base, sudo for the agent's user")
    func refusals() throws {
        let firstBoot = Recipe(name: "fb") { CreateUser("student", uid: 1000); FirstBoot("hello", script: "echo hi"); WebTerminal() }
        #expect(throws: ContainerPlanError.self) { try ContainerPlan(recipe: firstBoot) }
        let unit = Recipe(name: "un") { CreateUser("student", uid: 1000); WebTerminal(); EnableUnit("nginx.service") }
        do {
            _ = try ContainerPlan(recipe: unit)
            Issue.record("enabling nginx.service should be refused")
        } catch {
            #expect("\(error)".contains("nginx.service") && "\(error)".contains("no systemd"))
        }
        let local = Recipe(name: "lo", base: .localFile(path: "/tmp/x.qcow2", format: .qcow2)) { CreateUser("student", uid: 1000); WebTerminal() }
        #expect(throws: ContainerPlanError.baseNotBootstrap(recipe: "lo", base: "\(local.base)")) { try ContainerPlan(recipe: local) }
        let sudo = Recipe(name: "su") { CreateUser("student", uid: 1000); WebTerminal(allowPrivilegeEscalation: true) }
        #expect(throws: ContainerPlanError.privilegeEscalation(recipe: "su", agent: "WebTerminal")) { try ContainerPlan(recipe: sudo) }
        let none = Recipe(name: "no") { CreateUser("student", uid: 1000) }
        #expect(throws: ContainerPlanError.noAgent(recipe: "no")) { try ContainerPlan(recipe: none) }
    }

    @Test("the supervisor script is valid POSIX shell")
    func supervisorSyntax() async throws {
        let script = LabSupervisor.script(services: try ContainerPlan(recipe: Recipes.debianDesktop).services)
        let result = try await Command.run(["sh", "-n"], input: Data(script.utf8))
        #expect(result.status == 0, "\(result.stderr)")
        #expect(script.contains("exec /usr/libexec/labforge/lab-terminal"))
        #expect(script.contains("export RUNTIME_DIRECTORY=\"$runtime/lab-vnc\""))
    }
}

@Suite("Lab supervisor under tini")
struct LabSupervisorTests {
    /// A service that says it started and then sleeps, and one that fails (as a start script without credential does).
    static func services() -> [SupervisedService] {
        let steady = SystemdUnit(
            name: "steady.service", unit: [], service: [("Environment", "GREETING=hello"), ("ExecStart", "/bin/sh -c 'echo steady $GREETING; exec sleep 300'"), ("RestartSec", "1")],
            hardening: .system)
        let failing = SystemdUnit(
            name: "no-credential.service", unit: [], service: [("ExecStart", "/bin/sh -c 'echo no credential >&2; exit 78'"), ("RestartSec", "1")],
            hardening: .system)
        return [SupervisedService(unit: steady), SupervisedService(unit: failing)]
    }

    @Test("restarts a failing service, keeps the steady one, and on SIGTERM to tini everything stops with status 0")
    func superviseAndStop() async throws {
        let directory = try TemporaryDirectory(prefix: "labforge-supervisor")
        let script = directory.appending("lab-init")
        try LabSupervisor.script(services: Self.services()).write(toFile: script, atomically: true, encoding: .utf8)
        let log = directory.appending("log")
        try Data().write(to: URL(fileURLWithPath: log))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: LabSupervisor.tini)
        // -s: subreaper, as PID 1 is in a pod.
        process.arguments = ["-s", "-g", "--", "/bin/sh", script]
        process.environment = ["PATH": "/usr/bin:/bin", "HOME": directory.path, "LAB_RUNTIME_DIRECTORY": directory.appending("run")]
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        var text = ""
        for _ in 0..<100 {
            text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            if text.contains("steady hello") && text.components(separatedBy: "no credential").count >= 3 { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(text.contains("steady hello"))
        #expect(text.components(separatedBy: "no credential").count >= 3, "the failing service is started again: \(text)")
        #expect(text.contains("lab-init: no_credential exited with status 78") || text.contains("exited with status 78"))
        // Ended by SIGTERM, not by its services running out (one sleeps 300 s): it exits 0 and leaves none of them.
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
        // Nothing of the supervisor is left behind: no `sleep 300` of this test's services.
        let leftovers = try await Command.run(["pgrep", "-f", "echo steady \\$GREETING"])
        #expect(leftovers.stdout.isEmpty)
        try? handle.close()
    }

    @Test("a credential in the environment is written where the Secret goes, and removed from the agents' environment")
    func credentialFromEnvironment() async throws {
        // In a private mount namespace with a tmpfs on /run, as a pod without a mounted Secret has it.
        let show = SystemdUnit(
            name: "show.service", unit: [],
            service: [("ExecStart", "/bin/sh -c 'cat /run/labforge/credentials/terminal-credential; stat -c %a /run/labforge/credentials/terminal-credential; echo env=${LAB_TERMINAL_CREDENTIAL:-unset}; kill -TERM 1'")],
            hardening: .system)
        let directory = try TemporaryDirectory(prefix: "labforge-supervisor-env")
        let script = directory.appending("lab-init")
        try LabSupervisor.script(services: [SupervisedService(unit: show)]).write(toFile: script, atomically: true, encoding: .utf8)
        let result = try await Command.run(
            ["unshare", "--mount", "--pid", "--fork", "--propagation", "private", "/bin/sh", "-c",
             "mount -t tmpfs tmpfs /run && mkdir -p /run/labforge/credentials && exec tini -g -- /bin/sh \"$0\"", script],
            environment: ["LAB_TERMINAL_CREDENTIAL": "student:s3cret", "LAB_RUNTIME_DIRECTORY": directory.appending("run")])
        #expect(result.stdout.contains("student:s3cret\n600\nenv=unset"), "\(result.stdout)\(result.stderr)")
    }
}
