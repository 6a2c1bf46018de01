// The desktop-session proof: the screen a student gets is not blank, and the session's panel runs.
import Archive
import Foundation
import LabforgeRecipe

extension ProbeAttempts {
    /// A screen with at least this share of its pixels in one colour counts as blank.
    static let blankShare = 0.9

    /// How many more full screens the proof takes, ``settleSeconds`` apart, waiting for the session to settle: two
    /// screens in a row equal and the panel idle between them.
    static let settleFrames = 6

    /// Seconds between two screens of the settle check.
    static let settleSeconds = 2.0

    /// The panel counts as idle when it used less CPU than this share of a settle interval: Xfce's panel spends
    /// seconds of CPU under TCG loading and drawing its plugins (120 ticks in 3 s seen), then none; a clock redraw
    /// stays far below.
    static let idleShare = 0.05

    /// The shared objects a panel process must have loaded before its screen counts as drawn: Xfce's application
    /// menu and clock. Matched as substrings of the lines of `/proc/PID/maps`; other panels have none.
    /// - Parameter panel: The panel's process name.
    /// - Returns: The module paths' tails, in the order they are reported.
    static func panelModules(_ panel: String) -> [String] {
        switch panel {
        case "xfce4-panel": return ["/panel/plugins/libapplicationsmenu.so", "/panel/plugins/libclock.so"]
        default: return []
        }
    }

    /// With `panel`, `pgrep -u USER -x PANEL` in the session's shell first (the session is up) and the panel's
    /// ``panelModules(_:)`` in its `/proc/PID/maps` (its plugins are loaded). Then full framebuffer updates over RFB
    /// through websockify: the first under ``blankShare`` of the pixels one colour, then one every ``settleSeconds``
    /// until two in a row are equal with the panel idle between them (``idleShare``, its CPU time read from
    /// `/proc/PID/stat`), at most ``settleFrames`` more. Xfce maps its panel, translucent and empty, well before it
    /// draws it, and the screen can stay unchanged for seconds meanwhile (a picture taken then showed an empty bar):
    /// a panel that is still busy after them fails the attempt (retried); a screen still changing beside an idle panel
    /// passes as it is (a clock with seconds). With `picture`, the settled screen is written there as PNG (the
    /// catalog's screenshot).
    /// - Parameters:
    ///   - hostPort: websockify's host port.
    ///   - websocketPath: Its WebSocket path.
    ///   - password: The VNC password (nil: security type None).
    ///   - panel: The panel's process name, nil when the session has none.
    ///   - panelModules: The shared objects the panel must have loaded (``panelModules(_:)`` of `panel` unless given).
    ///   - user: The desktop user the panel runs as.
    ///   - shells: The session's shell, nil when the image has no web terminal (the panel is then not checked).
    ///   - picture: Where to write the screen as PNG, if anywhere (a failure to write it is said in the detail).
    ///   - settleFrames: How many more screens to take at most (``settleFrames`` unless given).
    /// - Returns: The success detail.
    /// - Throws: ``ProbeFailure`` naming what was seen (no panel process, a plugin not loaded yet, a panel still busy,
    ///   a blank screen).
    static func desktopSession(
        hostPort: Int, websocketPath: String, password: String?, panel: String?, panelModules modules: [String]? = nil, user: String,
        shells: (any SessionShellOpener)?, picture: String? = nil, settleFrames frames: Int = ProbeAttempts.settleFrames
    ) async throws -> String {
        let screen: SettledScreen
        var panelDetail = ""
        if let panel, let shells {
            let modules = modules ?? panelModules(panel)
            (screen, panelDetail) = try await shells.withShell { shell in
                let found = try await shell.run("pgrep -u \(shellQuoted(user)) -x \(shellQuoted(panel))")
                let pids = found.text.split(whereSeparator: \.isNewline).filter { $0.allSatisfy(\.isNumber) }.map(String.init)
                guard found.status == 0, !pids.isEmpty else {
                    throw ProbeFailure("no \(panel) process of \(user) (pgrep exit \(found.status)\(found.text.isEmpty ? "" : ": \(found.text.prefix(200))"))")
                }
                let running = "\(panel) (pid \(pids.joined(separator: ", ")))"
                var detail = "; \(panel) runs as \(user) (pid \(pids.joined(separator: ", ")))"
                if !modules.isEmpty {
                    let maps = pids.map { "/proc/\($0)/maps" }.joined(separator: " ")
                    let loaded = try await shell.run(
                        "for m in \(modules.map(shellQuoted).joined(separator: " ")); do cat \(maps) 2>/dev/null | grep -qF -- \"$m\" && echo \"$m\"; done; true")
                    let present = Set(loaded.text.split(whereSeparator: \.isNewline).map(String.init))
                    let missing = modules.filter { !present.contains($0) }
                    guard missing.isEmpty else {
                        throw ProbeFailure("\(running) has not loaded \(missing.map(moduleName).joined(separator: ", ")) yet: its panel is not drawn")
                    }
                    detail += " with \(modules.map(moduleName).joined(separator: ", ")) loaded"
                }
                let screen = try await settledScreen(hostPort: hostPort, websocketPath: websocketPath, password: password, detail: detail, frames: frames) {
                    try await cpuSeconds(of: pids, in: shell, naming: running)
                }
                guard screen.panelIdle != false else {
                    throw ProbeFailure("\(running) is still busy after \(screen.frames) screens \(Int(settleSeconds)) s apart: its panel is not drawn yet")
                }
                return (screen, detail + ", idle")
            }
        } else {
            if let panel { panelDetail = "; \(panel) not checked: no web terminal to run pgrep in" }
            screen = try await settledScreen(hostPort: hostPort, websocketPath: websocketPath, password: password, detail: panelDetail, frames: frames, cpu: nil)
        }
        let canvas = screen.canvas
        try blankCheck(canvas, panelDetail)
        let size = "\(canvas.width)x\(canvas.height)"
        var summary = "screen \(size): " + (canvas.dominantColour.map { "most common colour \(hexColour($0.rgb)) on \(percent($0.share)) of the pixels" } ?? "no colour covers half of it")
        summary += screen.unchanged ? ", unchanged \(Int(settleSeconds)) s later (frame \(screen.frames))" : ", still changing after \(screen.frames) frames"
        if let picture {
            do {
                try PNGEncoder.encode(rgb: canvas.rgb, width: canvas.width, height: canvas.height).write(to: URL(fileURLWithPath: picture), options: .atomic)
                summary += " (picture taken)"
            } catch {
                summary += " (no picture: \(error))"
            }
        }
        return summary + panelDetail
    }

    /// The last screen of the settle check, with how it ended.
    struct SettledScreen: Sendable {
        let canvas: RFBFramebuffer.Canvas
        /// Screens taken, the first included.
        let frames: Int
        /// Whether the last two screens were equal.
        let unchanged: Bool
        /// Whether the panel was idle between the last two (nil: not measured).
        let panelIdle: Bool?
    }

    /// The first screen (not blank), then one every ``settleSeconds`` (at most `frames` more) until two in a row are
    /// equal and `cpu` (the panel's CPU seconds, if measured) grew by less than ``idleShare`` of the interval between them.
    private static func settledScreen(
        hostPort: Int, websocketPath: String, password: String?, detail: String, frames: Int, cpu: (() async throws -> Double)?
    ) async throws -> SettledScreen {
        try await withRFBSession(port: hostPort, path: websocketPath, password: password) { session -> SettledScreen in
            try await session.configure()
            let (width, height) = (session.server.width, session.server.height)
            var canvas = try await screenshot(session: &session, width: width, height: height)
            try blankCheck(canvas, detail)
            var used = try await cpu?()
            var last = SettledScreen(canvas: canvas, frames: 1, unchanged: false, panelIdle: nil)
            for frame in 2...(frames + 1) {
                try await Task.sleep(for: .seconds(settleSeconds))
                let next = try await screenshot(session: &session, width: width, height: height)
                let now = try await cpu?()
                let idle = now.flatMap { now in used.map { now - $0 < idleShare * settleSeconds } }
                last = SettledScreen(canvas: next, frames: frame, unchanged: next.rgb == canvas.rgb, panelIdle: idle)
                if last.unchanged && idle != false { break }
                (canvas, used) = (next, now)
            }
            return last
        }
    }

    /// The CPU seconds (user + system) the processes `pids` have used, from `/proc/PID/stat` read in `shell`.
    /// - Throws: ``ProbeFailure`` when they cannot be read (the panel exited).
    private static func cpuSeconds(of pids: [String], in shell: any SessionShell, naming panel: String) async throws -> Double {
        // The fields after the command's closing parenthesis: utime and stime are the 12th and 13th (stat's 14 and 15).
        let read = try await shell.run(
            "t=0; for p in \(pids.joined(separator: " ")); do s=$(sed 's/^.*) //' /proc/$p/stat) || exit 1; set -- $s; t=$((t + ${12} + ${13})); done; echo $t $(getconf CLK_TCK)")
        let fields = read.text.split(whereSeparator: \.isWhitespace).compactMap { Double($0) }
        guard read.status == 0, fields.count == 2, fields[1] > 0 else {
            throw ProbeFailure("\(panel): its CPU time could not be read (exit \(read.status): \(read.text.prefix(200)))")
        }
        return fields[0] / fields[1]
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
