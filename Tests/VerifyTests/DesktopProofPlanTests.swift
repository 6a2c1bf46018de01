// The desktop proofs' probe names, options, plans from recipes, cache coverage and wire formats: pure logic.
import Foundation
import LabforgeRecipe
import Testing
@testable import Verify

@Suite("Desktop proofs: plans and framing")
struct DesktopProofPlanTests {
    @Test("--probe values of the proofs parse, and each target's argument parses back to it")
    func parseProofs() throws {
        #expect(try ProbeTarget.parse("desktop-session") == .desktopSession(port: 6080, websocketPath: "websockify", panel: nil))
        #expect(try ProbeTarget.parse("desktop-session=xfce4-panel:6081/ws2") == .desktopSession(port: 6081, websocketPath: "ws2", panel: "xfce4-panel"))
        #expect(try ProbeTarget.parse("desktop-resize") == .desktopResize(port: 6080))
        #expect(try ProbeTarget.parse("clipboard") == .clipboard(port: 6080, websocketPath: "websockify", display: 1, enabled: true))
        #expect(try ProbeTarget.parse("clipboard-off=2:6090") == .clipboard(port: 6090, display: 2, enabled: false))
        #expect(try ProbeTarget.parse("file-transfer") == .fileTransfer(port: 7681, path: "ws"))
        #expect(try ProbeTarget.parse("file-transfer:8080/lab/term/ws") == .fileTransfer(port: 8080, path: "lab/term/ws"))
        for bad in ["ssh=1", "clipboard=x", "clipboard=", "desktop-session=", "web-terminal=ws", "clipboard=100", "file-transfer:0"] {
            #expect(throws: VerifyError.invalidProbe(bad)) { try ProbeTarget.parse(bad) }
        }
        let targets: [ProbeTarget] = [
            .desktopSession(port: 6080, panel: "xfce4-panel"), .desktopSession(port: 6080), .desktopResize(port: 6081, websocketPath: "x/websockify"),
            .clipboard(port: 6080, display: 3, enabled: false), .clipboard(port: 6080), .fileTransfer(port: 7681, path: "term/ws"),
        ]
        for target in targets {
            #expect(try ProbeTarget.parse(target.argument) == target, "\(target.argument)")
            #expect(target.probesAgent)
            #expect(!target.argument.contains(","), "the image label separates probes with commas")
        }
        #expect(targets.map(\.name) == ["desktop-session", "desktop-session", "desktop-resize", "clipboard-off", "clipboard", "file-transfer"])
        #expect(ProbePlan(targets: [.clipboard(port: 6080)], access: AgentAccess()).needsBootCredentials)
        #expect(ProbePlan(targets: [.fileTransfer(port: 7681), .clipboard(port: 6080)]).forwardedGuestPorts == [7681, 6080])
    }

    @Test("a recipe's desktop and terminal choose the proofs: panel for Xfce, clipboard or clipboard-off, ZMODEM with file transfer")
    func proofsFromRecipe() {
        let xfce = Recipe(name: "xfce-lab") {
            CreateUser("student")
            WebTerminal()
            WebDesktop(display: 2, session: .xfce, clipboard: false)
        }
        let plan = ProbePlan(recipe: xfce)
        #expect(plan.targets == [
            .webTerminal(port: 7681, path: "ws"), .webDesktop(port: 6080, path: "vnc.html", websocketPath: "websockify"),
            .fileTransfer(port: 7681, path: "ws"),
            .desktopSession(port: 6080, websocketPath: "websockify", panel: "xfce4-panel"), .desktopResize(port: 6080),
            .clipboard(port: 6080, display: 2, enabled: false),
            .ssh, .cloudInit, .guestAgent,
        ])
        let plain = Recipe(name: "plain-lab") {
            CreateUser("student")
            WebTerminal(fileTransfer: false)
            WebDesktop()
        }
        let targets = ProbePlan(recipe: plain).targets
        // The minimal session (one white full-screen xterm) has no panel and is not held to the non-blank proof.
        #expect(!targets.contains { $0.name == "desktop-session" })
        #expect(targets.contains(.desktopResize(port: 6080)))
        #expect(targets.contains(.clipboard(port: 6080, display: 1, enabled: true)))
        #expect(!targets.contains { $0.name == "file-transfer" })
        // A pod image runs the same proofs (SSH, cloud-init and the guest agent are left out).
        #expect(ImageVerifier.containerTargets(plan).targets == plan.targets.filter { ![.ssh, .cloudInit, .guestAgent].contains($0) })
    }

    @Test("a cached report covers a plan only when each of its probes passed: an older report lacks the proofs")
    func cacheCoverage() throws {
        func result(_ name: String, _ passed: Bool = true) -> ProbeResult { ProbeResult(probe: name, passed: passed, seconds: 1, attempts: 1, detail: "") }
        let old = VerificationReport(
            disk: "d", accelerator: "tcg", results: ["web-terminal", "web-desktop", "ssh", "cloud-init", "guest-agent", "secure-boot"].map { result($0) },
            passed: true, seconds: 1, stoppedBy: "powerdown", consoleLog: nil, consoleTail: "", finishedAt: "")
        let before = ProbePlan(targets: [.webTerminal(port: 7681), .webDesktop(port: 6080), .ssh, .cloudInit, .guestAgent])
        #expect(old.covers(before))
        var now = before
        now.targets += [.desktopSession(port: 6080), .desktopResize(port: 6080), .clipboard(port: 6080), .fileTransfer(port: 7681)]
        #expect(!old.covers(now))
        var newer = old
        newer.results += ["desktop-session", "desktop-resize", "clipboard", "file-transfer"].map { result($0) }
        #expect(newer.covers(now))
        // A report by an earlier revision of the proofs (none recorded, or a lower one) covers nothing: the proof
        // asks for more now (desktop-session's plugins and settled screen), so the image is verified again.
        var earlier = newer
        earlier.proofs = nil
        #expect(!earlier.covers(now) && !earlier.covers(before))
        earlier.proofs = VerificationReport.proofRevision - 1
        #expect(!earlier.covers(now))
        let decoded = try JSONDecoder().decode(VerificationReport.self, from: try JSONEncoder().encode(newer))
        #expect(decoded.proofs == VerificationReport.proofRevision && decoded.covers(now))
        var unrecorded = try JSONSerialization.jsonObject(with: try JSONEncoder().encode(newer)) as? [String: Any] ?? [:]
        unrecorded["proofs"] = nil
        #expect(try JSONDecoder().decode(VerificationReport.self, from: try JSONSerialization.data(withJSONObject: unrecorded)).proofs == nil)
        newer.results[newer.results.count - 2] = result("clipboard", false)
        #expect(!newer.covers(now))
        // An exam image's clipboard-off proof is another probe than the clipboard proof.
        var exam = before
        exam.targets.append(.clipboard(port: 6080, enabled: false))
        #expect(!newer.covers(exam))
    }

    @Test("RFB: SetEncodings with -308, SetDesktopSize keeping the screen id, ClientCutText as Latin-1, majority colour")
    func rfbMessages() {
        #expect(RFBFramebuffer.setEncodings([0, RFBDesktopSize.extendedDesktopSize]) == [2, 0, 0, 2, 0, 0, 0, 0, 0xFF, 0xFF, 0xFE, 0xCC])
        #expect(RFBFramebuffer.updateRequest(width: 1280, height: 800) == [3, 0, 0, 0, 0, 0, 5, 0, 3, 32])
        let screen = RFBDesktopSize.Screen(id: 0x0102_0304, x: 0, y: 0, width: 1280, height: 800, flags: 0)
        #expect(RFBDesktopSize.setDesktopSize(width: 1024, height: 700, keeping: screen) == [
            251, 0, 4, 0, 2, 188, 1, 0, 1, 2, 3, 4, 0, 0, 0, 0, 4, 0, 2, 188, 0, 0, 0, 0,
        ])
        #expect(RFBDesktopSize.screens([1, 2, 3, 4, 0, 0, 0, 0, 4, 0, 2, 188, 0, 0, 0, 0]) == [RFBDesktopSize.Screen(id: 0x0102_0304, x: 0, y: 0, width: 1024, height: 700, flags: 0)])
        let smaller = RFBDesktopSize.otherSize(width: 1280, height: 800)
        #expect(smaller.width == 1024 && smaller.height == 700)
        let larger = RFBDesktopSize.otherSize(width: 1024, height: 700)
        #expect(larger.width == 1280 && larger.height == 800)
        #expect(RFBDesktopSize.statusName(3) == "invalid screen layout")
        #expect(RFBCutText.clientCutText("é€") == [6, 0, 0, 0, 0, 0, 0, 2, 0xE9, UInt8(ascii: "?")])
        #expect(RFBCutText.text([0x61, 0xE9]) == "aé")

        var canvas = RFBFramebuffer.Canvas(width: 10, height: 10)
        canvas.paint(x: 0, y: 0, width: 10, height: 10, pixels: Array(repeating: 0xFF, count: 400))
        #expect(canvas.dominantColour?.rgb == 0xFF_FFFF && canvas.dominantColour?.share == 1.0)
        canvas.paint(x: 0, y: 0, width: 5, height: 2, pixels: Array(repeating: 0, count: 40))
        #expect(canvas.dominantColour?.share == 0.9, "90 % white: blank by the proof's measure")
        canvas.paint(x: 0, y: 0, width: 10, height: 6, pixels: [UInt8](repeating: 0, count: 240))
        #expect(canvas.dominantColour?.rgb == 0 && canvas.dominantColour?.share == 0.6)
        canvas.paint(x: 0, y: 0, width: 10, height: 5, pixels: (0..<200).map { UInt8($0 % 256) })
        #expect(canvas.dominantColour == nil || canvas.dominantColour!.share < 0.9)
    }

    @Test("ttyd: a command's result line is found behind its marker, never in the echo of the typed line")
    func ttydShellResult() {
        let line = TtydShell.line("xclip -o", nonce: "ab12")
        #expect(line.hasPrefix(" __lf=$({ xclip -o; } 2>&1); __ls=$?; printf 'LABFORGE_RESULT_ab12_%s_%s_%s\\n' $((6*7))"))
        #expect(line.hasSuffix("\r"))
        // The terminal echoes the typed line (wrapped by readline), then the shell prints the result.
        let echoed = Array(("$ " + line.dropLast() + "\r\n").utf8)
        #expect(TtydShell.result(in: echoed, nonce: "ab12") == nil)
        let output = echoed + Array("LABFORGE_RESULT_ab12_42_1_\(Data("Error: target STRING not available".utf8).base64EncodedString())\r\n$ ".utf8)
        #expect(TtydShell.result(in: output, nonce: "ab12") == ShellOutput(status: 1, text: "Error: target STRING not available"))
        #expect(TtydShell.result(in: Array("LABFORGE_RESULT_ab12_42_0_\r\n".utf8), nonce: "ab12") == ShellOutput(status: 0, text: ""))
        #expect(TtydShell.result(in: Array("LABFORGE_RESULT_ab12_42_0_aGk=".utf8), nonce: "ab12") == nil, "the line has not ended yet")
        #expect(TtydShell.result(in: output, nonce: "cd34") == nil)
    }

    @Test("ttyd's preferences (json-c's format of its -t options) enable ZMODEM only with enableZmodem true")
    func zmodemPreference() {
        // ttyd 1.7.7 parses `-t enableZmodem=true` with json-c (a JSON true) and sends the object as its '2' message.
        #expect(TtydProtocol.decode(Array("2{ \"enableZmodem\": true, \"fontSize\": 16 }".utf8)) == .preferences("{ \"enableZmodem\": true, \"fontSize\": 16 }"))
        #expect(TtydProtocol.enablesZmodem("{ \"enableZmodem\": true, \"fontSize\": 16 }"))
        #expect(!TtydProtocol.enablesZmodem("{ \"fontSize\": 16 }"))
        #expect(!TtydProtocol.enablesZmodem("{ \"enableZmodem\": false }"))
        #expect(!TtydProtocol.enablesZmodem("{ \"enableZmodem\": \"no\" }"))
        #expect(!TtydProtocol.enablesZmodem("not json"))
        #expect(Array(TtydProtocol.input(bytes: ZmodemFrames.abort).prefix(9)) == [UInt8(ascii: "0")] + [UInt8](repeating: 0x18, count: 8))
    }
}
