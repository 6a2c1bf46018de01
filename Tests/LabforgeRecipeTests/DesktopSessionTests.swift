// Issue 27 on the agents' side: the Xfce session, the VNC server's resize and clipboard switches, noVNC's defaults and
// ttyd's ZMODEM, read from the values a recipe builds; the session's display wait run for real in namespaces.
import Foundation
import LabforgeRecipe
import Recipes
import Testing
import TestSupport

@Suite("desktop session, clipboard, resize, file transfer")
struct DesktopSessionTests {
    /// The `exec` line of a start script.
    func execLine(_ script: String) -> String {
        script.split(separator: "\n").last { $0.hasPrefix("exec ") }.map(String.init) ?? ""
    }

    @Test("Xtigervnc: clipboard both ways with `clipboard`, neither way without; desktop resize accepted; no X screensaver")
    func vncCommandLine() {
        let open = execLine(WebDesktop().script)
        #expect(open.hasSuffix("-desktop lab -s 0 -AcceptSetDesktopSize=1 -AcceptCutText=1 -SendCutText=1 -SetPrimary=1 -SendPrimary=1"), "\(open)")
        let exam = execLine(WebDesktop(clipboard: false).script)
        #expect(exam.hasSuffix("-AcceptSetDesktopSize=1 -AcceptCutText=0 -SendCutText=0 -SetPrimary=0 -SendPrimary=0"), "\(exam)")
        #expect(!exam.contains("CutText=1") && !exam.contains("Primary=1"))
        // xclip (the session's clipboard from a shell) only where the clipboard is on.
        #expect(WebDesktop().packages.contains("xclip"))
        #expect(!WebDesktop(clipboard: false).packages.contains("xclip"))
        #expect(!WebDesktop(session: .xfce, clipboard: false).packages.contains("xclip"))
    }

    @Test("ttyd: ZMODEM client option and lrzsz with `fileTransfer`, neither without; copy on select untouched")
    func terminalFileTransfer() {
        let terminal = WebTerminal()
        #expect(execLine(terminal.script) == "exec /usr/bin/ttyd --port 7681 --debug 3 --check-origin --writable --credential \"$credential\" --client-option enableZmodem=true /bin/bash --login")
        #expect(terminal.steps.first == .install([
            PackageRequest("ttyd", source: .repositoriesElse(WebTerminal.debianSidPackage)), PackageRequest("lrzsz"),
        ]))
        let closed = WebTerminal(fileTransfer: false)
        #expect(!closed.script.contains("enableZmodem"))
        #expect(closed.steps.first == .install([PackageRequest("ttyd", source: .repositoriesElse(WebTerminal.debianSidPackage))]))
        // ttyd's own copy-on-select is its default: no client option turns it off.
        #expect(!terminal.script.contains("disableCopyOnSelect") && !terminal.script.contains("copyOnSelect=false"))
    }

    @Test("noVNC's defaults.json: connects at once, resizes the remote desktop, reconnects; no password; written after the web files")
    func noVNCDefaults() throws {
        let json = try #require(try JSONSerialization.jsonObject(with: Data(WebDesktop.noVNCDefaultsJSON.utf8)) as? [String: Any])
        #expect(Set(json.keys) == ["autoconnect", "reconnect", "reconnect_delay", "resize"])
        #expect(json["autoconnect"] as? Bool == true)
        #expect(json["reconnect"] as? Bool == true)
        #expect(json["resize"] as? String == "remote")
        #expect(!WebDesktop.noVNCDefaultsJSON.lowercased().contains("password"))
        for desktop in [WebDesktop(), WebDesktop(novnc: .package)] {
            let steps = desktop.steps
            let write = try #require(steps.firstIndex(of: .writeFile(
                path: "/usr/share/novnc/defaults.json", contents: WebDesktop.noVNCDefaultsJSON, mode: 0o644, owner: .root)))
            let files = try #require(steps.firstIndex {
                switch $0 {
                case .extractPackageFiles(package: "novnc", _): return true
                case .install(let requests): return requests.contains { $0.name == "novnc" }
                default: return false
                }
            })
            #expect(files < write, "the package's own defaults.json ({}) must not overwrite ours")
        }
    }

    @Test("the Xfce session: its applications, no metapackage, no locker, screensaver or power manager")
    func xfcePackages() {
        let packages = WebDesktop(session: .xfce).packages
        for name in ["xfce4-panel", "xfce4-session", "xfwm4", "xfdesktop4", "thunar", "xfce4-terminal", "mousepad", "firefox-esr",
                     "dbus-x11", "sensible-utils", "librsvg2-common", "xclip", "tigervnc-standalone-server", "websockify"] {
            #expect(packages.contains(name), "\(name)")
        }
        for name in ["xfce4", "xfce4-goodies", "xfce4-power-manager", "xfce4-screensaver", "light-locker", "xscreensaver", "matchbox-window-manager"] {
            #expect(!packages.contains(name), "\(name)")
        }
        #expect(WebDesktop(session: .minimal).packages.contains("matchbox-window-manager"))
        #expect(!WebDesktop(session: .minimal).packages.contains("firefox-esr"))
    }

    @Test("the Xfce session starts from its script: own D-Bus session bus, a private XDG_RUNTIME_DIR, the default panel without asking")
    func xfceSessionUnit() async throws {
        let desktop = WebDesktop(session: .xfce)
        let session = try #require(desktop.units.first { $0.name == WebDesktop.unitNames.session })
        #expect(session.text.contains("ExecStart=\(WebDesktop.sessionScriptPath)\n"))
        #expect(session.text.contains("RuntimeDirectory=lab-desktop-session\nRuntimeDirectoryMode=0700\n"))
        #expect(session.text.contains("Environment=DISPLAY=:1\n"))
        #expect(desktop.steps.contains(.writeFile(path: WebDesktop.sessionScriptPath, contents: desktop.sessionScript, mode: 0o755, owner: .root)))
        let script = desktop.sessionScript
        #expect(script.contains("export XFCE_PANEL_MIGRATE_DEFAULT=1\n"))
        #expect(script.contains("export XDG_RUNTIME_DIR=\"${RUNTIME_DIRECTORY:?"))
        #expect(execLine(script) == "exec /usr/bin/dbus-launch --exit-with-session /usr/bin/startxfce4")
        let syntax = try await Command.run(["sh", "-n"], input: Data(script.utf8))
        #expect(syntax.status == 0, "\(syntax.stderr)")
        // Without its runtime directory the script stops before starting anything, and says which setting is missing.
        let missing = try await Command.run(["sh", "-c", script], environment: ["RUNTIME_DIRECTORY": ""])
        #expect(missing.status != 0 && missing.stderr.contains("RuntimeDirectory"), "\(missing.stderr)")
        // The minimal session keeps its inline command and has no script or runtime directory.
        let minimal = WebDesktop(session: .minimal)
        #expect(!minimal.steps.contains { if case .writeFile(WebDesktop.sessionScriptPath, _, _, _) = $0 { return true } else { return false } })
        #expect(minimal.units.map(\.text).joined().contains("exec matchbox-window-manager"))
        #expect(!minimal.units.map(\.text).joined().contains("RuntimeDirectory=lab-desktop-session"))
    }

    /// Runs the session unit's display wait in a private mount and network namespace whose `/tmp` is empty (as in a
    /// pod: no `/tmp/.X11-unix`), with a listener on Linux's abstract socket `@/tmp/.X11-unix/X<listening>` (what
    /// Xtigervnc, not root, is left with there).
    func waitForDisplay(_ desktop: WebDesktop, listening: Int) async throws -> CommandResult {
        let wait = try #require(desktop.units.first { $0.name == WebDesktop.unitNames.session }?.service.first { $0.key == "ExecStartPre" }?.value)
        let listener = "import socket, time; s = socket.socket(socket.AF_UNIX); s.bind('\\0/tmp/.X11-unix/X\(listening)'); s.listen(1); print('listening', flush=True); time.sleep(60)"
        // The unit's command line is run by a shell, as lab-init runs it in a pod.
        let inside = "mount -t tmpfs tmpfs /tmp || exit 8; [ ! -e /tmp/.X11-unix ] || exit 9; python3 -c \"$1\" > /tmp/listener & "
            + "for i in $(seq 50); do grep -q listening /tmp/listener && break; sleep 0.1; done; "
            + wait + "; status=$?; kill $!; exit $status"
        return try await Command.run(["unshare", "--mount", "--net", "--fork", "--propagation", "private", "sh", "-c", inside, "wait", listener])
    }

    @Test("the session waits for the X server's abstract socket where /tmp/.X11-unix does not exist (a pod), and not for a neighbour's")
    func displayWaitInPod() async throws {
        let desktop = WebDesktop(display: 7, session: .xfce)
        let ready = try await waitForDisplay(desktop, listening: 7)
        #expect(ready.status == 0, "\(ready.stdout)\(ready.stderr)")
        // @/tmp/.X11-unix/X70 is display 70's, not display 7's: the wait gives up (after its 100 tries) and fails.
        let neighbour = try await waitForDisplay(desktop, listening: 70)
        #expect(neighbour.status == 1, "\(neighbour.stdout)\(neighbour.stderr)")
    }
}
