// The desktop-session proof: the screen a student gets is not blank, and the session's panel runs.
import Archive
import Foundation
import LabforgeRecipe

extension ProbeAttempts {
    /// A screen with at least this share of its pixels in one colour counts as blank.
    static let blankShare = 0.9

    /// With `panel`, `pgrep -u USER -x PANEL` in the session's shell first (the session is up); then one full
    /// framebuffer update over RFB through websockify: under ``blankShare`` of the pixels one colour. With `picture`,
    /// a screen that passes is written there as PNG (the catalog's screenshot: the session drawn, its panel running).
    /// - Parameters:
    ///   - hostPort: websockify's host port.
    ///   - websocketPath: Its WebSocket path.
    ///   - password: The VNC password (nil: security type None).
    ///   - panel: The panel's process name, nil when the session has none.
    ///   - user: The desktop user the panel runs as.
    ///   - shells: The session's shell, nil when the image has no web terminal (the panel is then not checked).
    ///   - picture: Where to write the screen as PNG, if anywhere (a failure to write it is said in the detail).
    /// - Returns: The success detail.
    /// - Throws: ``ProbeFailure`` naming what was seen (no panel process, a blank screen).
    static func desktopSession(
        hostPort: Int, websocketPath: String, password: String?, panel: String?, user: String, shells: (any SessionShellOpener)?,
        picture: String? = nil
    ) async throws -> String {
        var panelDetail = ""
        if let panel, let shells {
            let found = try await shells.withShell { shell in try await shell.run("pgrep -u \(shellQuoted(user)) -x \(shellQuoted(panel))") }
            let pids = found.text.split(whereSeparator: \.isNewline).filter { $0.allSatisfy(\.isNumber) }
            guard found.status == 0, !pids.isEmpty else {
                throw ProbeFailure("no \(panel) process of \(user) (pgrep exit \(found.status)\(found.text.isEmpty ? "" : ": \(found.text.prefix(200))"))")
            }
            panelDetail = "; \(panel) runs as \(user) (pid \(pids.joined(separator: ", ")))"
        } else if let panel {
            panelDetail = "; \(panel) not checked: no web terminal to run pgrep in"
        }
        let canvas = try await withRFBSession(port: hostPort, path: websocketPath, password: password) { session -> RFBFramebuffer.Canvas in
            try await session.configure()
            let (width, height) = (session.server.width, session.server.height)
            return try await screenshot(session: &session, width: width, height: height)
        }
        let size = "\(canvas.width)x\(canvas.height)"
        var screen = "screen \(size): no colour covers half of it"
        if let dominant = canvas.dominantColour {
            let share = percent(dominant.share)
            guard dominant.share < blankShare else {
                throw ProbeFailure("the screen \(size) is blank: \(hexColour(dominant.rgb)) on \(share) of its pixels (\(percent(blankShare)) or more is blank)\(panelDetail)")
            }
            screen = "screen \(size): most common colour \(hexColour(dominant.rgb)) on \(share) of the pixels"
        }
        if let picture {
            do {
                try PNGEncoder.encode(rgb: canvas.rgb, width: canvas.width, height: canvas.height).write(to: URL(fileURLWithPath: picture), options: .atomic)
                screen += " (picture taken)"
            } catch {
                screen += " (no picture: \(error))"
            }
        }
        return screen + panelDetail
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
