// The web-desktop probe against a real websockify (Debian's `websockify` package or PyPI), without a VM.
import Foundation
import Testing
import TestSupport
@testable import Verify

/// websockify from LABFORGE_WEBSOCKIFY or PATH.
private let websockify: String? = {
    if let explicit = ProcessInfo.processInfo.environment["LABFORGE_WEBSOCKIFY"] { return explicit }
    for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
        let candidate = "\(directory)/websockify"
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    return nil
}()

@Suite("web-desktop probe through websockify")
struct WebDesktopProbeTests {
    @Test("vnc.html over HTTP, then the RFB banner through websockify's binary WebSocket", .enabled(if: websockify != nil, "websockify not installed"))
    func rfbThroughWebsockify() async throws {
        let scratch = try TemporaryDirectory(prefix: "labforge-verify-ws")
        try Data("<html><title>noVNC</title></html>".utf8).write(to: URL(fileURLWithPath: scratch.appending("vnc.html")))
        let ports = try LoopbackPorts.free(2)
        // Stand-in for Xtigervnc (which needs an X stack): a TCP server that sends the RFB 3.8 banner, as a VNC server does first.
        let rfb = Process()
        rfb.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        rfb.arguments = ["python3", "-c", """
            import socket
            s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", \(ports[1]))); s.listen(4)
            while True:
                c, _ = s.accept(); c.sendall(b"RFB 003.008\\n"); c.recv(64); c.close()
            """]
        let proxy = Process()
        proxy.executableURL = URL(fileURLWithPath: websockify!)
        proxy.arguments = ["--web", scratch.path, "127.0.0.1:\(ports[0])", "127.0.0.1:\(ports[1])"]
        proxy.standardOutput = FileHandle.nullDevice
        proxy.standardError = FileHandle.nullDevice
        try rfb.run()
        try proxy.run()
        defer {
            kill(proxy.processIdentifier, SIGKILL)
            kill(rfb.processIdentifier, SIGKILL)
            proxy.waitUntilExit()
            rfb.waitUntilExit()
        }
        var detail = ""
        var lastError: Error?
        for _ in 0..<30 {
            do {
                detail = try await ProbeAttempts.webDesktop(hostPort: ports[0], page: "vnc.html", websocketPath: "websockify")
                break
            } catch {
                print("web-desktop attempt: \(error)")
                lastError = error
                try await Task.sleep(for: .milliseconds(300))
            }
        }
        #expect(detail.contains("RFB 003.008"), "last error: \(String(describing: lastError))")
        #expect(detail.contains("vnc.html 33 B"))
        // A missing page is reported with its status.
        await #expect(throws: ProbeFailure.self) {
            try await ProbeAttempts.webDesktop(hostPort: ports[0], page: "nope.html", websocketPath: "websockify")
        }
    }
}
