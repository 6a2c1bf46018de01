// The clipboard proof: RFB cut text and the session's X clipboard, both ways (noVNC's clipboard panel rides on the
// same messages), read and set on the X side with xclip in the session's shell.
import Foundation

extension ProbeAttempts {
    /// Update rounds (about a second each) a ServerCutText is waited for.
    static let cutTextRounds = 8

    /// With the RFB session open: a ClientCutText with a random marker, then `xclip -o` in the session's shell
    /// must print it; a second marker put into the X clipboard with xclip must come back as ServerCutText. With
    /// `enabled` false (an exam) neither marker may cross.
    /// - Parameters:
    ///   - hostPort: websockify's host port.
    ///   - websocketPath: Its WebSocket path.
    ///   - password: The VNC password (nil: security type None).
    ///   - display: The X display of the session (`:1`).
    ///   - enabled: Whether the image promises the clipboard.
    ///   - shells: The session's shell; nil when the image has no web terminal (nothing is then checked).
    /// - Returns: The success detail.
    /// - Throws: ``ProbeFailure`` naming the direction that failed and what was seen; ``FinalFailure`` when a
    ///   switched-off clipboard let a marker through.
    static func clipboard(
        hostPort: Int, websocketPath: String, password: String?, display: Int, enabled: Bool, shells: (any SessionShellOpener)?
    ) async throws -> String {
        guard let shells else {
            return "not checked: no web terminal to read and set the X clipboard in (xclip runs in the session's shell)"
        }
        let inbound = "labforge-clipboard-in-" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
        let outbound = "labforge-clipboard-out-" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
        let xclip = "DISPLAY=:\(display) xclip -selection clipboard"
        return try await shells.withShell { shell in
            try await withRFBSession(port: hostPort, path: websocketPath, password: password) { session -> String in
                try await session.configure()
                // Browser → desktop: the session's X clipboard holds what the viewer sent.
                try await session.send(RFBCutText.clientCutText(inbound))
                var read = try await shell.run("\(xclip) -o")
                for _ in 0..<3 where !read.text.contains(inbound) {
                    try await Task.sleep(for: .seconds(1))
                    read = try await shell.run("\(xclip) -o")
                }
                let arrived = read.text.contains(inbound)
                let seenInX = arrived ? "in the X clipboard" : "not in the X clipboard (xclip -o exit \(read.status): \(read.text.prefix(120).debugDescription))"
                if enabled && !arrived { throw ProbeFailure("ClientCutText \(inbound) \(seenInX)") }
                if !enabled && arrived { throw FinalFailure("the clipboard is off, yet ClientCutText \(inbound) reached the X clipboard") }
                // Desktop → browser: xclip owns the clipboard in the background (its output away from the shell's),
                // the VNC server asks it for the text and sends ServerCutText.
                let started = try await shell.run("printf %s \(outbound) | \(xclip) -quiet >/dev/null 2>&1 & echo \"xclip=$!\"")
                guard let pid = started.text.split(separator: "=").last.flatMap({ Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }) else {
                    throw ProbeFailure("could not start xclip in the session's shell (exit \(started.status): \(started.text.prefix(200).debugDescription))")
                }
                let texts: [String]
                do {
                    texts = try await serverCutTexts(&session, until: outbound, rounds: cutTextRounds)
                } catch {
                    // The proof has failed already and says why; xclip is ended if the shell still answers.
                    if (try? await shell.run("kill \(pid)")) == nil {
                        throw ProbeFailure("\(error); xclip (pid \(pid)) could not be ended: the session's shell no longer answers")
                    }
                    throw error
                }
                let stopped = try await shell.run("kill \(pid)")
                let cleanup = stopped.status == 0 ? "" : " (xclip had already left: another owner took the clipboard)"
                let came = texts.contains { $0.contains(outbound) }
                if enabled && !came {
                    let seen = texts.isEmpty ? "none" : texts.map { String($0.prefix(60)).debugDescription }.joined(separator: ", ")
                    throw ProbeFailure("ClientCutText \(seenInX); but X clipboard text \(outbound) did not come back as ServerCutText in \(cutTextRounds) update rounds (cut texts seen: \(seen))\(cleanup)")
                }
                if !enabled && came { throw FinalFailure("the clipboard is off, yet X clipboard text \(outbound) came as ServerCutText") }
                return enabled
                    ? "ClientCutText \(inbound) in the X clipboard of :\(display); X clipboard text \(outbound) came back as ServerCutText\(cleanup)"
                    : "clipboard off on :\(display): ClientCutText \(seenInX); X clipboard text not sent as ServerCutText in \(cutTextRounds) update rounds\(cleanup)"
            }
        }
    }

    /// ServerCutText messages until one contains `marker`, for at most `rounds` update rounds: each asks for a
    /// non-incremental update of the corner pixel and reads up to its answer (the server always answers it), a
    /// second apart.
    private static func serverCutTexts<Iterator>(_ session: inout RFBSession<Iterator>, until marker: String, rounds: Int) async throws -> [String] {
        var texts: [String] = []
        for round in 0..<rounds {
            if round > 0 { try await Task.sleep(for: .seconds(1)) }
            try await session.send(RFBFramebuffer.updateRequest(width: 1, height: 1))
            reading: while true {
                switch try await session.next() {
                case .serverCutText(let bytes):
                    texts.append(RFBCutText.text(bytes))
                    if texts.last?.contains(marker) == true { return texts }
                case .framebufferUpdate:
                    break reading
                case .bell, .colourMap:
                    continue
                }
            }
        }
        return texts
    }
}
