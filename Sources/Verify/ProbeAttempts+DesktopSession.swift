// The desktop-session proof: the screen a student gets is not blank, and the session's panel runs.
import Foundation
import LabforgeRecipe

extension ProbeAttempts {
    /// A screen with at least this share of its pixels in one colour counts as blank.
    static let blankShare = 0.9

    /// One full framebuffer update over RFB through websockify: under ``blankShare`` of the pixels one colour; then,
    /// with `panel`, `pgrep -u USER -x PANEL` in the session's shell.
    /// - Parameters:
    ///   - hostPort: websockify's host port.
    ///   - websocketPath: Its WebSocket path.
    ///   - password: The VNC password (nil: security type None).
    ///   - panel: The panel's process name, nil when the session has none.
    ///   - user: The desktop user the panel runs as.
    ///   - shells: The session's shell, nil when the image has no web terminal (the panel is then not checked).
    /// - Returns: The success detail.
    /// - Throws: ``ProbeFailure`` naming what was seen (a blank screen, no panel process).
    static func desktopSession(
        hostPort: Int, websocketPath: String, password: String?, panel: String?, user: String, shells: (any SessionShellOpener)?
    ) async throws -> String {
        let screen = try await withRFBSession(port: hostPort, path: websocketPath, password: password) { session -> String in
            try await session.configure()
            let (width, height) = (session.server.width, session.server.height)
            let canvas = try await screenshot(session: &session, width: width, height: height)
            let size = "\(canvas.width)x\(canvas.height)"
            guard let dominant = canvas.dominantColour else { return "screen \(size): no colour covers half of it" }
            let share = percent(dominant.share)
            guard dominant.share < blankShare else {
                throw ProbeFailure("the screen \(size) is blank: \(hexColour(dominant.rgb)) on \(share) of its pixels (\(percent(blankShare)) or more is blank)")
            }
            return "screen \(size): most common colour \(hexColour(dominant.rgb)) on \(share) of the pixels"
        }
        guard let panel else { return screen }
        guard let shells else { return screen + "; \(panel) not checked: no web terminal to run pgrep in" }
        let found = try await shells.withShell { shell in try await shell.run("pgrep -u \(shellQuoted(user)) -x \(shellQuoted(panel))") }
        let pids = found.text.split(whereSeparator: \.isNewline).filter { $0.allSatisfy(\.isNumber) }
        guard found.status == 0, !pids.isEmpty else {
            throw ProbeFailure("\(screen), but no \(panel) process of \(user) (pgrep exit \(found.status)\(found.text.isEmpty ? "" : ": \(found.text.prefix(200))"))")
        }
        return screen + "; \(panel) runs as \(user) (pid \(pids.joined(separator: ", ")))"
    }

    /// `#rrggbb`.
    static func hexColour(_ rgb: UInt32) -> String {
        "#" + String(format: "%06x", rgb)
    }

    /// A share as a percentage with one decimal (`97.3 %`).
    static func percent(_ share: Double) -> String {
        String(format: "%.1f %%", share * 100)
    }
}
