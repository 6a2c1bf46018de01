// The web-desktop probe against a real websockify and a real TigerVNC server (Xtigervnc), without a VM.
import Foundation
import ProcessRunner
import Testing
import TestSupport
@testable import Verify

private let websockify = ProcessInfo.processInfo.environment["LABFORGE_WEBSOCKIFY"] ?? hostTool("websockify")
private let haveTools = websockify != nil && hostTool("Xtigervnc") != nil && hostTool("tigervncpasswd") != nil

/// Xtigervnc on a free display and port, with websockify and a noVNC-like page in front of it.
private struct DesktopStack {
    let scratch: TemporaryDirectory
    let webPort: Int
    let display: Int
    let processes: [LongLivedChild]

    /// Starts the stack; `password` nil means `-SecurityTypes None`.
    init(password: String?, extraArguments: [String] = []) async throws {
        scratch = try TemporaryDirectory(prefix: "labforge-verify-ws")
        try Data("<html><title>noVNC</title></html>".utf8).write(to: URL(fileURLWithPath: scratch.appending("vnc.html")))
        let ports = try LoopbackPorts.free(2)
        webPort = ports[0]
        var security = ["-SecurityTypes", "None"]
        if let password {
            let file = scratch.appending("passwd")
            let obfuscated = try await Command.check(["tigervncpasswd", "-f"], input: Data((password + "\n").utf8))
            try obfuscated.stdoutData.write(to: URL(fileURLWithPath: file))
            security = ["-SecurityTypes", "VncAuth", "-PasswordFile", file]
        }
        // A display number nobody uses: the X socket must be free, the RFB port is given explicitly.
        display = try TestDesktop.freeDisplay(in: 50..<100)
        let vnc = try TestDesktop.start(
            "Xtigervnc", [":\(display)", "-geometry", "320x200", "-depth", "24", "-localhost", "-rfbport", String(ports[1]), "-desktop", "lab"] + security + extraArguments)
        do {
            processes = [try TestDesktop.start(websockify!, ["--web", scratch.path, "127.0.0.1:\(ports[0])", "127.0.0.1:\(ports[1])"]), vnc]
        } catch {
            TestDesktop.end([vnc], display: display)
            throw error
        }
    }

    func stop() {
        TestDesktop.end(processes, display: display)
    }

    /// The probe, retried while the servers start (a minute: Python and X start slowly on a loaded 2-core machine).
    func probe(_ access: AgentAccess.Desktop, credentials: TestCredentials?, picture: String? = nil) async throws -> String {
        var lastError: Error = ProbeFailure("not tried")
        for _ in 0..<200 {
            do {
                return try await withTimeout(30, "attempt took longer than 30 s") {
                    try await ProbeAttempts.webDesktop(
                        hostPort: webPort, page: "vnc.html", websocketPath: "websockify", access: access, credentials: credentials, picture: picture)
                }
            } catch let error as FinalFailure {
                throw error
            } catch {
                print("web-desktop attempt: \(error)")
                lastError = error
                try await Task.sleep(for: .milliseconds(300))
            }
        }
        throw lastError
    }
}

@Suite("web-desktop probe through websockify and TigerVNC", .serialized, .enabled(if: haveTools, "websockify, Xtigervnc or tigervncpasswd not installed"))
struct WebDesktopProbeTests {
    @Test("VNC authentication: None not offered, a wrong password refused, the right one reaches ServerInit")
    func vncAuthentication() async throws {
        let credentials = TestCredentials.generate(user: "student")
        let stack = try await DesktopStack(password: credentials.desktopPassword)
        defer { stack.stop() }
        let detail = try await stack.probe(.vncPassword(fixed: nil), credentials: credentials)
        #expect(detail.contains("vnc.html 33 B"))
        #expect(detail.contains("RFB 003.008, security types [VncAuth], VncAuth accepted, ServerInit 320x200 \"lab\""), "\(detail)")
        #expect(detail.contains("wrong password → SecurityResult failed"))
        // The same server with another password: the probe fails (VNC authentication is what it proves).
        let other = TestCredentials.generate(user: "student")
        await #expect(throws: ProbeFailure.self) {
            try await ProbeAttempts.webDesktop(
                hostPort: stack.webPort, page: "vnc.html", websocketPath: "websockify", access: .vncPassword(fixed: other.desktopPassword), credentials: nil)
        }
        // A missing page is reported with its status.
        await #expect(throws: ProbeFailure.self) {
            try await ProbeAttempts.webDesktop(hostPort: stack.webPort, page: "nope.html", websocketPath: "websockify", access: .open, credentials: nil)
        }
    }

    @Test("a desktop without authentication fails the probe when a password is expected, passes when the recipe says none")
    func openDesktop() async throws {
        let stack = try await DesktopStack(password: nil)
        defer { stack.stop() }
        do {
            _ = try await stack.probe(.vncPassword(fixed: "secret12"), credentials: nil)
            Issue.record("an open VNC server passed the authenticated probe")
        } catch let error as FinalFailure {
            #expect(error.description.contains("offers security type None"))
        }
        let detail = try await stack.probe(.open, credentials: nil)
        #expect(detail.contains("security types [None], None accepted, ServerInit 320x200"), "\(detail)")
    }

    @Test("the probe takes a PNG of the screen through websockify: X's classic stipple root, black and white, 320x200")
    func desktopPicture() async throws {
        let credentials = TestCredentials.generate(user: "student")
        let stack = try await DesktopStack(password: credentials.desktopPassword, extraArguments: ["-retro"])
        defer { stack.stop() }
        let picture = stack.scratch.appending("desktop.png")
        let detail = try await stack.probe(.vncPassword(fixed: nil), credentials: credentials, picture: picture)
        #expect(detail.contains("; picture 320x200"), "\(detail)")
        #expect(!detail.contains("one colour"), "\(detail)")
        // Decoded by Python's zlib (independent of the encoder): only black and white pixels, both present.
        let script = """
            import sys, struct, zlib
            d = open(sys.argv[1], 'rb').read(); pos = 8; idat = b''
            while pos < len(d):
                n, k = struct.unpack('>I4s', d[pos:pos+8])
                if k == b'IHDR': w, h = struct.unpack('>II', d[pos+8:pos+16])
                if k == b'IDAT': idat += d[pos+8:pos+8+n]
                pos += 12 + n
            raw = zlib.decompress(idat); s = w * 3; colours = set()
            for r in range(h):
                line = bytearray(raw[r*(s+1)+1:(r+1)*(s+1)])
                if raw[r*(s+1)] == 1:
                    for i in range(3, s): line[i] = (line[i] + line[i-3]) & 0xff
                colours |= {bytes(line[i:i+3]) for i in range(0, s, 3)}
            print(w, h, ' '.join(sorted(c.hex() for c in colours)))
            """
        let decoded = try await Command.run(["python3", "-c", script, picture])
        #expect(decoded.stdout == "320 200 000000 ffffff\n", "\(decoded.stdout) \(decoded.stderr)")
    }

    @Test("a terminal's output renders as its screen: prompts, erased lines, cursor moves, colours dropped")
    func terminalScreen() {
        var screen = TerminalScreen(columns: 20, rows: 4)
        screen.feed(Array("\u{1B}]0;lab@lab: ~\u{07}\u{1B}[1;32mlab@lab\u{1B}[0m:~$ ls\r\nnotes.txt\r\nxxxxx\r\u{1B}[Kdone\r\n\u{1B}[2;5HXY".utf8))
        #expect(screen.text == "lab@lab:~$ ls\nnoteXYtxt\ndone\n", "XY overwrites the s and the dot")
        var scrolled = TerminalScreen(columns: 10, rows: 2)
        scrolled.feed(Array("one\r\ntwo\r\nthree\r\n\u{1B}[2J\u{1B}[Hfour".utf8))
        #expect(scrolled.text == "four\n")
        var wrapped = TerminalScreen(columns: 4, rows: 3)
        wrapped.feed(Array("abcdefg\u{08}\u{08}Z".utf8))
        #expect(wrapped.text == "abcd\neZg\n")
    }

    @Test("VNC authentication's DES answer matches the RFB reference (bit-reversed key)")
    func vncResponse() {
        // A challenge of zeros with the password "password": the answer RFB servers compute (libvncserver's vncEncryptBytes).
        let answer = RFBHandshake.vncResponse(challenge: Array(repeating: 0, count: 16), password: "password")
        #expect(answer.count == 16)
        #expect(Array(answer[0..<8]) == Array(answer[8..<16]))  // ECB: equal blocks, equal output
        #expect(RFBHandshake.reverseBits(0b0000_0001) == 0b1000_0000)
        #expect(RFBHandshake.reverseBits(0x70) == 0x0E)
    }
}
