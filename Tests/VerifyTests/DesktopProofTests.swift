// The desktop proofs of `labforge verify` against a real Xtigervnc behind a real websockify, the X clipboard read and
// set with xclip, and ZMODEM frames from lrzsz's sz and rz: no VM (ttyd's side is proven by the VM tests).
import Foundation
import ProcessRunner
import Testing
import TestSupport
@testable import Verify

@Suite("desktop proofs through websockify and TigerVNC", .serialized, .timeLimit(.minutes(10)), .enabled(if: TestDesktop.available, "Xtigervnc, websockify, xclip or xlogo not installed (make deps)"))
struct DesktopProofTests {
    @Test("desktop-session: a drawn screen passes, the panel process is found with pgrep; a blank root window fails")
    func desktopSession() async throws {
        let drawn = try await TestDesktop()
        defer { drawn.stop() }
        let user = try await Command.check(["id", "-un"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let detail = try await drawn.retrying {
            try await ProbeAttempts.desktopSession(
                hostPort: drawn.webPort, websocketPath: "websockify", password: drawn.password, panel: "xlogo", user: user, shells: HostShells())
        }
        #expect(detail.hasPrefix("screen 1280x800: "), "\(detail)")
        // xlogo draws once and stays: the second screen equals the first.
        #expect(detail.contains(", unchanged 2 s later (frame 2)"), "\(detail)")
        // With a picture asked for, the passing screen is written as PNG (the catalog's screenshot).
        let picture = drawn.scratch.appending("desktop.png")
        let pictured = try await drawn.retrying {
            try await ProbeAttempts.desktopSession(
                hostPort: drawn.webPort, websocketPath: "websockify", password: drawn.password, panel: nil, user: user, shells: nil, picture: picture)
        }
        #expect(pictured.hasSuffix(" (picture taken)"), "\(pictured)")
        #expect(FileManager.default.contents(atPath: picture)?.starts(with: [0x89, 0x50, 0x4E, 0x47]) == true)
        #expect(detail.contains("; xlogo runs as \(user) (pid "), "\(detail)")
        // Without a shell the panel is not checked, and the detail says so.
        let unchecked = try await drawn.retrying {
            try await ProbeAttempts.desktopSession(
                hostPort: drawn.webPort, websocketPath: "websockify", password: drawn.password, panel: "xlogo", user: user, shells: nil)
        }
        #expect(unchecked.hasSuffix("; xlogo not checked: no web terminal to run pgrep in"), "\(unchecked)")
        // A panel that does not run fails with what pgrep said.
        let noPanel = await #expect(throws: ProbeFailure.self) {
            try await drawn.once {
                try await ProbeAttempts.desktopSession(
                    hostPort: drawn.webPort, websocketPath: "websockify", password: drawn.password, panel: "xfce4-panel", user: user, shells: HostShells())
            }
        }
        #expect(noPanel?.description.contains("no xfce4-panel process of \(user) (pgrep exit 1") == true, "\(String(describing: noPanel))")

        let blank = try await TestDesktop(drawing: false)
        defer { blank.stop() }
        // The server answers once it is up; the screen stays one colour: every attempt fails naming it.
        var failure = ""
        let deadline = Date().addingTimeInterval(120)
        repeat {
            do {
                let passed = try await withTimeout(30, "attempt took longer than 30 s") {
                    try await ProbeAttempts.desktopSession(
                        hostPort: blank.webPort, websocketPath: "websockify", password: blank.password, panel: nil, user: user, shells: nil)
                }
                Issue.record("a blank screen passed: \(passed)")
                break
            } catch let error as ProbeFailure where error.description.contains("is blank") {
                failure = error.description
                break
            } catch {
                try await Task.sleep(for: .milliseconds(300))
            }
        } while Date() < deadline
        #expect(failure.hasPrefix("the screen 1280x800 is blank: #"), "\(failure)")
        #expect(failure.contains("on 100.0 % of its pixels (90.0 % or more is blank)"), "\(failure)")
    }

    @Test("desktop-session: the panel's plugins are read from its /proc/PID/maps; a panel still busy is not pictured")
    func panelReadiness() async throws {
        // A smaller screen: this test takes screens one after another while a busy loop holds one of the two cores.
        let drawn = try await TestDesktop(geometry: "640x400")
        defer { drawn.stop() }
        let user = try await Command.check(["id", "-un"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        _ = try await drawn.retrying {
            try await ProbeAttempts.desktopSession(hostPort: drawn.webPort, websocketPath: "websockify", password: drawn.password, panel: nil, user: user, shells: nil)
        }
        // The panel's modules are read from its /proc/PID/maps: xlogo's own Xt is loaded; a module it never loads is
        // named (Xfce's panel is mapped, empty, before its plugins are: its screen is not taken then).
        let loaded = try await drawn.retrying {
            try await ProbeAttempts.desktopSession(
                hostPort: drawn.webPort, websocketPath: "websockify", password: drawn.password, panel: "xlogo", panelModules: ["/libXt.so"],
                user: user, shells: HostShells())
        }
        #expect(loaded.contains("; xlogo runs as \(user) (pid ") && loaded.hasSuffix(") with libXt.so loaded, idle"), "\(loaded)")
        let notLoaded = await #expect(throws: ProbeFailure.self) {
            try await drawn.once {
                try await ProbeAttempts.desktopSession(
                    hostPort: drawn.webPort, websocketPath: "websockify", password: drawn.password, panel: "xlogo",
                    panelModules: ["/libXt.so", "/panel/plugins/libclock.so"], user: user, shells: HostShells())
            }
        }
        #expect(notLoaded?.description.hasSuffix(") has not loaded libclock.so yet: its panel is not drawn") == true, "\(String(describing: notLoaded))")
        #expect(ProbeAttempts.panelModules("xfce4-panel") == ["/panel/plugins/libapplicationsmenu.so", "/panel/plugins/libclock.so"])
        // A panel that keeps the CPU busy is not drawn yet: the attempt fails after the settle screens, naming it
        // (a busy loop under the name "busypanel": perl's $0 sets the process name pgrep -x matches).
        let busy = try LongLivedChild.launch(["perl", "-e", "$0 = 'busypanel'; 1 while 1"], name: "busypanel")
        defer { _ = busy.kill(waitingUpTo: 10) }
        for _ in 0..<100 where try await Command.run(["pgrep", "-x", "busypanel"]).status != 0 { try await Task.sleep(for: .milliseconds(100)) }
        let stillBusy = await #expect(throws: ProbeFailure.self) {
            try await drawn.once {
                try await ProbeAttempts.desktopSession(
                    hostPort: drawn.webPort, websocketPath: "websockify", password: drawn.password, panel: "busypanel", user: user, shells: HostShells(),
                    settleFrames: 2)
            }
        }
        #expect(stillBusy?.description.hasSuffix(") is still busy after 3 screens 2 s apart: its panel is not drawn yet") == true, "\(String(describing: stillBusy))")
    }

    @Test("the pictured screen leaves the pointer out (Cursor pseudo-encoding, pointer parked); a session without them has it painted in")
    func pointerLeftOut() async throws {
        let desktop = try await TestDesktop(geometry: "640x400", drawing: false)
        defer { desktop.stop() }
        // An X client that gives the root window a pointer shape (libX11's left_ptr), as Xfce does on its desktop;
        // the shape lasts as long as the client's connection.
        let pointer = try LongLivedChild.launch(["python3", "-c", Self.definePointer(display: desktop.display)], output: .capture, name: "pointer")
        defer { _ = pointer.kill(waitingUpTo: 10) }
        for _ in 0..<300 where pointer.isRunning && !pointer.capturedOutput.contains("defined") { try await Task.sleep(for: .milliseconds(100)) }
        #expect(pointer.capturedOutput.contains("defined"), "\(pointer.capturedError)")
        let (painted, clean, again) = try await desktop.retrying {
            (try await Self.screen(desktop, localCursor: false), try await Self.screen(desktop, localCursor: true), try await Self.screen(desktop, localCursor: true))
        }
        // The probes' screens (configure's default) are one colour, as the root window is: no pointer in them.
        // (Booleans first: an expectation on the screens themselves would print megabytes of pixels.)
        let probesClean = clean.isUniform && again.isUniform
        #expect(probesClean, "the pointer is in the probes' screens")
        // The control: without the pseudo-encoding the same screen has the pointer in it, in a pointer-sized box.
        let box = Self.differingBox(painted, clean)
        #expect(box != nil, "no pointer painted in without the Cursor pseudo-encoding either: this test would prove nothing")
        #expect((box?.width ?? 0) <= 64 && (box?.height ?? 0) <= 64, "\(String(describing: box))")
    }

    /// A Python program that gives the root window of `display` libX11's left_ptr pointer, prints "defined" and
    /// keeps its connection (the shape goes with it).
    private static func definePointer(display: Int) -> String {
        """
        import ctypes, time
        x = ctypes.CDLL("libX11.so.6")
        x.XOpenDisplay.restype = ctypes.c_void_p
        x.XOpenDisplay.argtypes = [ctypes.c_char_p]
        x.XDefaultRootWindow.restype = ctypes.c_ulong
        x.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
        x.XCreateFontCursor.restype = ctypes.c_ulong
        x.XCreateFontCursor.argtypes = [ctypes.c_void_p, ctypes.c_uint]
        x.XDefineCursor.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_ulong]
        x.XFlush.argtypes = [ctypes.c_void_p]
        d = x.XOpenDisplay(b":\(display)")
        if not d: raise SystemExit("cannot open :\(display)")
        x.XDefineCursor(d, x.XDefaultRootWindow(d), x.XCreateFontCursor(d, 68))  # XC_left_ptr
        x.XFlush(d)
        print("defined", flush=True)
        time.sleep(3600)
        """
    }

    /// One full screen of `desktop` from a session configured as the probes do (`localCursor`), or without the
    /// Cursor pseudo-encoding after moving the pointer (the control).
    private static func screen(_ desktop: TestDesktop, localCursor: Bool) async throws -> RFBFramebuffer.Canvas {
        try await ProbeAttempts.withRFBSession(port: desktop.webPort, path: "websockify", password: desktop.password) { session in
            try await session.configure(localCursor: localCursor)
            if !localCursor {
                // The server shows the pointer once it has moved: the control moves it to 100,100 (a PointerEvent
                // without buttons, as noVNC sends when the student moves the mouse) and leaves it there, for the
                // probes' sessions after it to find where they did not put it (as in the lab's session).
                try await session.send(RFBFramebuffer.pointerEvent(x: 100, y: 100))
                try await Task.sleep(for: .milliseconds(300))
            }
            return try await ProbeAttempts.screenshot(session: &session, width: session.server.width, height: session.server.height)
        }
    }

    /// The smallest box holding every pixel where two screens of one size differ, nil when none does.
    private static func differingBox(_ first: RFBFramebuffer.Canvas, _ second: RFBFramebuffer.Canvas) -> (x: Int, y: Int, width: Int, height: Int)? {
        var (left, top, right, bottom) = (Int.max, Int.max, -1, -1)
        for y in 0..<first.height {
            for x in 0..<first.width {
                let at = (y * first.width + x) * 3
                guard first.rgb[at..<at + 3] != second.rgb[at..<at + 3] else { continue }
                (left, top, right, bottom) = (min(left, x), min(top, y), max(right, x), max(bottom, y))
            }
        }
        return right < 0 ? nil : (left, top, right - left + 1, bottom - top + 1)
    }

    @Test("desktop-resize: SetDesktopSize 1024x700 answered with status 0 and a 1024x700 framebuffer, then back; refused when the server forbids it")
    func desktopResize() async throws {
        let desktop = try await TestDesktop(drawing: false)
        defer { desktop.stop() }
        let detail = try await desktop.retrying {
            try await ProbeAttempts.desktopResize(hostPort: desktop.webPort, websocketPath: "websockify", password: desktop.password)
        }
        #expect(detail.hasPrefix("ExtendedDesktopSize: 1280x800, 1 screen; SetDesktopSize 1024x700 → status 0, framebuffer 1024x700 ("), "\(detail)")
        #expect(detail.hasSuffix("; back to 1280x800"), "\(detail)")
        // The session is left as found: a new connection's ServerInit is 1280x800 again.
        let size = try await desktop.retrying {
            try await ProbeAttempts.withRFBSession(port: desktop.webPort, path: "websockify", password: desktop.password) { session in
                "\(session.server.width)x\(session.server.height)"
            }
        }
        #expect(size == "1280x800")

        let fixed = try await TestDesktop(drawing: false, extraArguments: ["-AcceptSetDesktopSize=0"])
        defer { fixed.stop() }
        do {
            let passed = try await fixed.retrying {
                try await ProbeAttempts.desktopResize(hostPort: fixed.webPort, websocketPath: "websockify", password: fixed.password)
            }
            Issue.record("a server that forbids resizing passed: \(passed)")
        } catch let error as FinalFailure {
            #expect(error.description == "ExtendedDesktopSize: 1280x800, 1 screen; SetDesktopSize 1024x700 answered status 1 (resize is administratively prohibited)")
        }
    }

    @Test("clipboard: ClientCutText reaches the X clipboard, the X clipboard comes back as ServerCutText")
    func clipboardBothWays() async throws {
        let desktop = try await TestDesktop(drawing: false)
        defer { desktop.stop() }
        let detail = try await desktop.retrying { try await desktop.clipboard(enabled: true) }
        #expect(detail.contains("in the X clipboard of :\(desktop.display); X clipboard text labforge-clipboard-out-"), "\(detail)")
        #expect(detail.contains("came back as ServerCutText"), "\(detail)")
        // The clipboard off (an exam) against a server that shares it: the proof fails at the first crossing.
        let crossed = await #expect(throws: FinalFailure.self) { try await desktop.once { try await desktop.clipboard(enabled: false) } }
        #expect(crossed?.description.contains("the clipboard is off, yet ClientCutText labforge-clipboard-in-") == true, "\(String(describing: crossed))")
        // Without a shell in the session nothing can be read or set on the X side: said, not failed.
        let unchecked = try await desktop.retrying { try await desktop.clipboard(enabled: true, shells: nil) }
        #expect(unchecked.hasPrefix("not checked: no web terminal"))
    }

    @Test("clipboard: a server with -AcceptCutText=0 -SendCutText=0 fails the proof and passes the clipboard-off proof")
    func clipboardRefused() async throws {
        let desktop = try await TestDesktop(drawing: false, extraArguments: ["-AcceptCutText=0", "-SendCutText=0"])
        defer { desktop.stop() }
        let off = try await desktop.retrying { try await desktop.clipboard(enabled: false) }
        #expect(off.hasPrefix("clipboard off on :\(desktop.display): ClientCutText not in the X clipboard (xclip -o exit 1"), "\(off)")
        #expect(off.contains("X clipboard text not sent as ServerCutText in \(ProbeAttempts.cutTextRounds) update rounds"), "\(off)")
        let refused = await #expect(throws: ProbeFailure.self) { try await desktop.once { try await desktop.clipboard(enabled: true) } }
        let text = refused?.description ?? ""
        #expect(text.hasPrefix("ClientCutText labforge-clipboard-in-") && text.contains("not in the X clipboard"), "\(text)")
    }

    @Test("ZMODEM: lrzsz's sz opens with ZRQINIT and rz with ZRINIT; both end on the abort sequence")
    func zmodemFrames() async throws {
        guard hostTool("sz") != nil, hostTool("rz") != nil else {
            Issue.record("lrzsz is not installed (make deps)")
            return
        }
        let scratch = try TemporaryDirectory(prefix: "labforge-zmodem")
        let file = scratch.appending("probe.txt")
        try Data("labforge ZMODEM probe\n".utf8).write(to: URL(fileURLWithPath: file))
        // The abort the proof types arrives on sz's input right away: it sends its header, reads the CANs and gives up.
        let sent = try await Command.run(["sz", file], input: Data(ZmodemFrames.abort), directory: scratch.path)
        #expect(ZmodemFrames.contains(.zrqinit, in: Array(sent.stdoutData)), "\(sent.stdout.debugDescription)")
        #expect(!ZmodemFrames.contains(.zrinit, in: Array(sent.stdoutData)))
        #expect(sent.status != 0, "sz reports the aborted transfer")
        let received = try await Command.run(["rz"], input: Data(ZmodemFrames.abort), directory: scratch.path)
        #expect(ZmodemFrames.contains(.zrinit, in: Array(received.stdoutData)), "\(received.stdout.debugDescription)")
        #expect(!ZmodemFrames.contains(.zrqinit, in: Array(received.stdoutData)))
        // The header needs ZDLE: the text of a typed command line never matches.
        #expect(!ZmodemFrames.contains(.zrqinit, in: Array("echo '**B00' rz sz".utf8)))
    }
}
