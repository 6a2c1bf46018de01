// The desktop-session proof: the screen a student gets is not blank, and the session's panel runs.
import Archive
import Foundation
import LabforgeRecipe

extension ProbeAttempts {
    /// A screen with at least this share of its pixels in one colour counts as blank.
    static let blankShare = 0.9

    /// How many more full screens the proof takes, ``settleSeconds`` apart, waiting for two in a row to be equal (the
    /// session has drawn what it starts with); a screen still changing after them passes as it is (a clock with
    /// seconds, an animation).
    static let settleFrames = 6

    /// Seconds between two screens of the settle check.
    static let settleSeconds = 2.0

    /// The shared objects a panel process must have loaded before its screen counts as drawn: Xfce's application
    /// menu and clock (the panel window is mapped, translucent and empty, well before its plugins are loaded and
    /// drawn; a screenshot taken then showed a wallpaper with an empty bar). Matched as substrings of the lines of
    /// `/proc/PID/maps`; other panels have none.
    /// - Parameter panel: The panel's process name.
    /// - Returns: The module paths' tails, in the order they are reported.
    static func panelModules(_ panel: String) -> [String] {
        switch panel {
        case "xfce4-panel": return ["/panel/plugins/libapplicationsmenu.so", "/panel/plugins/libclock.so"]
        default: return []
        }
    }

    /// With `panel`, `pgrep -u USER -x PANEL` in the session's shell first (the session is up) and the panel's
    /// ``panelModules(_:)`` in its `/proc/PID/maps` (its plugins are loaded); then full framebuffer updates over RFB
    /// through websockify: the first under ``blankShare`` of the pixels one colour, then more until two in a row are
    /// equal (at most ``settleFrames``). With `picture`, the settled screen is written there as PNG (the catalog's
    /// screenshot: the session drawn, its panel's plugins in it).
    /// - Parameters:
    ///   - hostPort: websockify's host port.
    ///   - websocketPath: Its WebSocket path.
    ///   - password: The VNC password (nil: security type None).
    ///   - panel: The panel's process name, nil when the session has none.
    ///   - panelModules: The shared objects the panel must have loaded (``panelModules(_:)`` of `panel` unless given).
    ///   - user: The desktop user the panel runs as.
    ///   - shells: The session's shell, nil when the image has no web terminal (the panel is then not checked).
    ///   - picture: Where to write the screen as PNG, if anywhere (a failure to write it is said in the detail).
    /// - Returns: The success detail.
    /// - Throws: ``ProbeFailure`` naming what was seen (no panel process, a plugin not loaded yet, a blank screen).
    static func desktopSession(
        hostPort: Int, websocketPath: String, password: String?, panel: String?, panelModules modules: [String]? = nil, user: String,
        shells: (any SessionShellOpener)?, picture: String? = nil
    ) async throws -> String {
        var panelDetail = ""
        if let panel, let shells {
            let modules = modules ?? panelModules(panel)
            panelDetail = try await shells.withShell { shell in
                let found = try await shell.run("pgrep -u \(shellQuoted(user)) -x \(shellQuoted(panel))")
                let pids = found.text.split(whereSeparator: \.isNewline).filter { $0.allSatisfy(\.isNumber) }
                guard found.status == 0, !pids.isEmpty else {
                    throw ProbeFailure("no \(panel) process of \(user) (pgrep exit \(found.status)\(found.text.isEmpty ? "" : ": \(found.text.prefix(200))"))")
                }
                var detail = "; \(panel) runs as \(user) (pid \(pids.joined(separator: ", ")))"
                guard !modules.isEmpty else { return detail }
                let maps = pids.map { "/proc/\($0)/maps" }.joined(separator: " ")
                let loaded = try await shell.run(
                    "for m in \(modules.map(shellQuoted).joined(separator: " ")); do cat \(maps) 2>/dev/null | grep -qF -- \"$m\" && echo \"$m\"; done; true")
                let present = Set(loaded.text.split(whereSeparator: \.isNewline).map(String.init))
                let missing = modules.filter { !present.contains($0) }
                guard missing.isEmpty else {
                    throw ProbeFailure("\(panel) (pid \(pids.joined(separator: ", "))) has not loaded \(missing.map(moduleName).joined(separator: ", ")) yet: its panel is not drawn")
                }
                detail += " with \(modules.map(moduleName).joined(separator: ", ")) loaded"
                return detail
            }
        } else if let panel {
            panelDetail = "; \(panel) not checked: no web terminal to run pgrep in"
        }
        let (canvas, frames, settled) = try await withRFBSession(port: hostPort, path: websocketPath, password: password) {
            session -> (RFBFramebuffer.Canvas, Int, Bool) in
            try await session.configure()
            let (width, height) = (session.server.width, session.server.height)
            var canvas = try await screenshot(session: &session, width: width, height: height)
            try blankCheck(canvas, panelDetail)
            for frame in 2...(settleFrames + 1) {
                try await Task.sleep(for: .seconds(settleSeconds))
                let next = try await screenshot(session: &session, width: width, height: height)
                if next.rgb == canvas.rgb { return (next, frame, true) }
                canvas = next
            }
            return (canvas, settleFrames + 1, false)
        }
        try blankCheck(canvas, panelDetail)
        let size = "\(canvas.width)x\(canvas.height)"
        var screen = "screen \(size): " + (canvas.dominantColour.map { "most common colour \(hexColour($0.rgb)) on \(percent($0.share)) of the pixels" } ?? "no colour covers half of it")
        screen += settled ? ", unchanged \(Int(settleSeconds)) s later (frame \(frames))" : ", still changing after \(frames) frames"
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

    /// Throws when one colour covers ``blankShare`` or more of `canvas`.
    private static func blankCheck(_ canvas: RFBFramebuffer.Canvas, _ panelDetail: String) throws {
        guard let dominant = canvas.dominantColour, dominant.share >= blankShare else { return }
        throw ProbeFailure(
            "the screen \(canvas.width)x\(canvas.height) is blank: \(hexColour(dominant.rgb)) on \(percent(dominant.share)) of its pixels (\(percent(blankShare)) or more is blank)\(panelDetail)")
    }

    /// A module path's file name (`libclock.so`).
    private static func moduleName(_ path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
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
