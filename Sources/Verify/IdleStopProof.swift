// The idle-stop probe: an open web-terminal session keeps the lab up past its (shortened) idle window; once it
// closes, the guest powers itself off within the window, two ticks and a shutdown's slack.
import Foundation
import LabforgeRecipe

/// What `lab-idle` last wrote to ``LabLifetime/statePath`` (``LabIdleScript/stateShape``).
struct IdleState: Sendable, Equatable {
    /// Sessions it counted.
    var sessions: Int
    /// Uptime of the first tick without a session, nil while there is one.
    var idleSince: Int?
    /// The effective idle window.
    var idleStop: Int
    /// Whether an override file applies.
    var override: Bool
    /// Whether it is powering off.
    var stopping: Bool
    /// The file as read, for messages.
    var text: String

    /// Decodes idle.json.
    /// - Parameter data: The file's bytes.
    /// - Throws: ``FinalFailure`` when it is not lab-idle's state.
    init(_ data: Data) throws {
        text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any], let sessions = object["sessions"] as? Int,
              let idleStop = object["idleStop"] as? Int, let stopping = object["stopping"] as? Bool
        else { throw FinalFailure("\(LabLifetime.statePath) is not lab-idle's state: \(text.debugDescription)") }
        self.sessions = sessions
        self.idleStop = idleStop
        self.stopping = stopping
        idleSince = object["idleSince"] as? Int
        override = object["override"] as? Bool == true
    }
}

/// Proves the idle power-off on a running VM: (a) a web-terminal session held open is counted (`sessions ≥ 1`);
/// (b) ``LabLifetime/overridePath`` shortens the idle window to ``window``; (c) with the session still open for the
/// window and two ticks, the VM runs and idle.json says not stopping, not idle; (d) the session closed, the VM powers
/// itself off within the window, two ticks and ``shutdownSlack``.
struct IdleStopProof: Sendable {
    /// The VM (its `isRunning` turns false when the guest powers off).
    let machine: any ProbedSystem
    /// The guest agent, as root: idle.json and the override.
    let agent: any GuestCommandRunner
    /// The web terminal whose WebSocket is the held session.
    let shells: any SessionShellOpener
    /// The shortened idle window, seconds.
    var window = 60
    /// Its warning, seconds.
    var warning = 20
    /// Seconds between lab-idle's ticks.
    var tick = LabLifetime.checkIntervalSeconds
    /// Seconds a clean power-off may take after lab-idle decides (scaled for emulated architectures).
    var shutdownSlack: Double = 60

    /// Seconds the session is held after the override: the window and two ticks.
    var holdSeconds: Int { window + 2 * tick }
    /// Seconds beyond lab-idle's ticks to wait for it to count the session or take the override (a quarter of the
    /// shutdown's slack: 15 s, scaled with it on an emulated architecture).
    var margin: Double { shutdownSlack / 4 }
    /// Seconds from closing the session to qemu's exit at most.
    var powerOffLimit: Double { Double(window + 2 * tick) + shutdownSlack }

    /// The whole proof.
    /// - Returns: `kept up … s with a terminal session open (sessions N); powered off … s after the last session closed (window … s, override)`.
    /// - Throws: ``FinalFailure`` naming what went wrong (no session counted, the override not taken, a power-off with
    ///   the session open, still running after the limit); ``ProbeFailure`` when no terminal session could be opened.
    func prove() async throws -> String {
        let (held, sessions) = try await shells.withShell { shell -> (Int, Int) in
            _ = try await shell.run("true")
            // (a) lab-idle counts the WebSocket's connection within a few ticks.
            var seen = try await readState()
            let counted = Date().addingTimeInterval(Double(3 * tick) + margin)
            while seen.sessions < 1 {
                guard Date() < counted else {
                    throw FinalFailure("lab-idle counts no session while the web terminal's WebSocket is open: \(seen.text)")
                }
                try await keepAlive(shell, seconds: 3)
                seen = try await readState()
            }
            // (b) the override, taken at the next tick.
            let written = try await agent.run(
                "umask 077; printf 'idle_stop=\(window)\\nwarning=\(warning)\\n' > \(LabLifetime.overridePath).new && mv -f \(LabLifetime.overridePath).new \(LabLifetime.overridePath)",
                timeout: 30)
            guard written.status == 0 else { throw FinalFailure("writing \(LabLifetime.overridePath) failed (exit \(written.status)): \(written.tail())") }
            let since = Date()
            let taken = since.addingTimeInterval(Double(2 * tick) + margin)
            while !(seen.override && seen.idleStop == window) {
                guard Date() < taken else {
                    throw FinalFailure("lab-idle did not take \(LabLifetime.overridePath) (idle_stop=\(window)) within two ticks: \(seen.text)")
                }
                try await keepAlive(shell, seconds: 3)
                seen = try await readState()
            }
            // (c) held past the shortened window: still up, not idle, not stopping.
            while Date().timeIntervalSince(since) < Double(holdSeconds) {
                try await keepAlive(shell, seconds: 5)
            }
            seen = try await readState()
            guard machine.isRunning else { throw FinalFailure("the VM powered off while a terminal session was open") }
            guard !seen.stopping, seen.idleSince == nil, seen.sessions >= 1 else {
                throw FinalFailure("with a terminal session open for \(holdSeconds) s lab-idle says: \(seen.text)")
            }
            return (Int(Date().timeIntervalSince(since)), seen.sessions)
        }
        // (d) the session closed: the guest powers itself off.
        let closed = Date()
        var last: IdleState?
        var nextRead = closed
        while machine.isRunning {
            let waited = Date().timeIntervalSince(closed)
            guard waited < powerOffLimit else {
                throw FinalFailure(
                    "still running \(Int(waited)) s after the last session closed (window \(window) s, override); idle.json: \(last?.text ?? "not read")")
            }
            if Date() >= nextRead {
                last = (try? await readState()) ?? last
                nextRead = Date().addingTimeInterval(Double(tick))
            }
            try await Task.sleep(for: .seconds(1))
        }
        let off = Int(Date().timeIntervalSince(closed).rounded())
        return "kept up \(held) s with a terminal session open (sessions \(sessions)); powered off \(off) s after the last session closed (window \(window) s, override)"
    }

    /// idle.json, read as root over the guest agent.
    private func readState() async throws -> IdleState {
        let read = try await agent.run("cat \(LabLifetime.statePath)", timeout: 30)
        guard read.status == 0 else {
            throw FinalFailure("\(LabLifetime.statePath) cannot be read (is \(LabLifetime.unitName) running?): \(read.tail())")
        }
        return try IdleState(read.stdout)
    }

    /// Keeps the session busy for `seconds`: the VM must run, the shell answer (its WebSocket's pings answered).
    private func keepAlive(_ shell: any SessionShell, seconds: Double) async throws {
        guard machine.isRunning else { throw FinalFailure("the VM powered off while a terminal session was open") }
        try await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
        let answer = try await shell.run("true")
        guard answer.status == 0 else { throw FinalFailure("the held terminal session stopped answering: \(answer.text)") }
    }
}
