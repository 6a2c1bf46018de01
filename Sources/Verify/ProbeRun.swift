// Runs a plan's probes concurrently against a booted VM, each retried until success, its timeout or the deadline;
// the desktop's probes one after another; idle-stop after all of them (the VM powers itself off).
import Foundation
import LabforgeRecipe
import Logging
import Reporting
import Synchronization

/// The probes of one boot. Web and guest-agent probes run side by side; cloud-init waits for SSH.
struct ProbeRun: Sendable {
    let machine: any ProbedSystem
    /// The NoCloud seed (its SSH key), for the SSH chain of a VM.
    let seed: NoCloudSeed?
    /// What the VM was given on its credentials disk, if it needed one.
    let credentials: TestCredentials?
    let plan: ProbePlan
    let options: VerifyOptions
    let bootStarted: Date
    let subject: String
    let progress: any ProgressReporter
    let logger: Logger
    /// The firmware the VM runs under (nil for a container): what the `secure-boot` probe expects.
    var firmware: Firmware? = nil
    /// The marks of the `home-reset` probe (nil: the probe has no home disk to prove).
    var homeMarks: HomeResetMarks? = nil
    /// Which half of `home-reset` this boot runs: writing the marks (the primary boot) or checking them (the reset boot).
    var homePhase: HomeResetProof.Phase = .write

    /// Pause between attempts: frugal on a shared 2-core TCG host, fine-grained enough for "time to success".
    static let retryPause = 2.0

    func run() async -> [ProbeResult] {
        let total = Int64(plan.targets.count)
        let done = Counter()
        @Sendable func reported(_ result: ProbeResult) {
            let count = done.increment()
            progress.report(ProgressEvent(
                subject: subject, stage: "verify", detail: "\(result.probe) \(result.passed ? "ok" : "failed")",
                completed: Int64(count), total: total, unit: .steps, finished: Int64(count) == total))
        }
        var results = await withTaskGroup(of: [ProbeResult].self) { group in
            for target in plan.targets {
                switch target {
                case .idleStop: continue  // last, below: the VM powers itself off
                case .ssh: group.addTask { await sshChain(includeSSH: true) }
                case .cloudInit where !plan.targets.contains(.ssh): group.addTask { await sshChain(includeSSH: false) }
                case .cloudInit: break
                case _ where target.probesDesktop: continue
                default: group.addTask { [await probe(target)] }
                }
            }
            let desktop = plan.targets.filter(\.probesDesktop)
            if !desktop.isEmpty { group.addTask { await desktopChain(desktop) } }
            var all: [ProbeResult] = []
            for await some in group {
                for result in some {
                    all.append(result)
                    reported(result)
                }
            }
            return all
        }
        if plan.targets.contains(.idleStop) {
            let result = await idleStop()
            results.append(result)
            reported(result)
        }
        return plan.targets.compactMap { target in results.first { $0.probe == target.name } }
    }

    private var elapsed: Double { Date().timeIntervalSince(bootStarted) }

    /// Repeats `attempt` until it succeeds or `limit` seconds from boot have passed.
    private func poll(_ name: String, limit: Double, auth: String? = nil, _ attempt: @escaping @Sendable () async throws -> String) async -> ProbeResult {
        var attempts = 0
        var last = "not tried"
        while true {
            guard machine.isRunning else {
                return ProbeResult(
                    probe: name, passed: false, seconds: elapsed, attempts: attempts, detail: "stopped (\(machine.stopDescription)); last: \(last)", auth: auth)
            }
            attempts += 1
            let remaining = limit - elapsed
            do {
                let detail = try await withTimeout(max(1, min(remaining, 90)), "attempt took longer than \(Int(min(remaining, 90))) s") {
                    try await attempt()
                }
                return ProbeResult(probe: name, passed: true, seconds: elapsed, attempts: attempts, detail: detail, auth: auth)
            } catch let error as FinalFailure {
                return ProbeResult(probe: name, passed: false, seconds: elapsed, attempts: attempts, detail: error.description, auth: auth)
            } catch {
                last = "\(error)"
                logger.debug("\(name) attempt \(attempts) at \(Int(elapsed)) s: \(last)")
            }
            if elapsed + Self.retryPause >= limit || Task.isCancelled {
                return ProbeResult(
                    probe: name, passed: false, seconds: elapsed, attempts: attempts,
                    detail: "no success within \(Int(limit)) s after boot; last attempt: \(last)", auth: auth)
            }
            try? await Task.sleep(for: .seconds(Self.retryPause))
        }
    }

    /// The desktop's probes one after another — web-desktop, desktop-session, clipboard, desktop-resize (last: it
    /// changes the screen the others read) — each proof retried up to the deadline (the session starts after the
    /// VNC server); none when web-desktop failed.
    private func desktopChain(_ targets: [ProbeTarget]) async -> [ProbeResult] {
        func rank(_ target: ProbeTarget) -> Int {
            switch target {
            case .webDesktop: return 0
            case .desktopSession: return 1
            case .clipboard: return 2
            default: return 3
            }
        }
        var results: [ProbeResult] = []
        for target in targets.sorted(by: { rank($0) < rank($1) }) {
            if case .webDesktop = target {
                results.append(await probe(target))
            } else if let failed = results.first(where: { $0.probe == "web-desktop" && !$0.passed }) {
                results.append(ProbeResult(
                    probe: target.name, passed: false, seconds: failed.seconds, attempts: 0, detail: "not checked: the web-desktop probe failed"))
            } else {
                results.append(await probe(target, limit: options.deadline))
            }
        }
        return results
    }

    /// A desktop proof polled with the host port of websockify's guest `port` and the VNC password.
    private func desktopProof(
        _ target: ProbeTarget, port: Int, limit: Double, _ attempt: @escaping @Sendable (Int, String?) async throws -> String
    ) async -> ProbeResult {
        let hostPort = machine.hostPorts[port]!
        let (access, credentials) = (plan.access.desktop, self.credentials)
        return await poll(target.name, limit: limit, auth: plan.access.desktopName) {
            try await attempt(hostPort, try ProbeAttempts.desktopPassword(access, credentials: credentials))
        }
    }

    /// The session's shell for the desktop proofs: the web terminal of the plan, nil without one.
    /// - Throws: ``FinalFailure`` when the terminal needs a credential the run does not have.
    private func sessionShells() throws -> (any SessionShellOpener)? {
        for case .webTerminal(let port, let path) in plan.targets {
            guard let hostPort = machine.hostPorts[port] else { return nil }
            return try TtydShellOpener(hostPort: hostPort, path: path, access: plan.access.terminal, credentials: credentials)
        }
        return nil
    }

    private func probe(_ target: ProbeTarget, limit: Double? = nil) async -> ProbeResult {
        let limit = limit ?? options.probeTimeout
        switch target {
        case .webTerminal(let port, let path):
            let hostPort = machine.hostPorts[port]!
            let (access, credentials) = (plan.access.terminal, self.credentials)
            let screen = options.pictures.map { $0 + "/" + VerifyOptions.terminalScreen }
            return await poll(target.name, limit: limit, auth: plan.access.terminalName) {
                try await ProbeAttempts.webTerminal(hostPort: hostPort, path: path, access: access, credentials: credentials, screen: screen)
            }
        case .webDesktop(let port, let page, let websocketPath):
            let hostPort = machine.hostPorts[port]!
            let (access, credentials) = (plan.access.desktop, self.credentials)
            let picture = options.pictures.map { $0 + "/" + VerifyOptions.desktopPicture }
            return await poll(target.name, limit: limit, auth: plan.access.desktopName) {
                try await ProbeAttempts.webDesktop(
                    hostPort: hostPort, page: page, websocketPath: websocketPath, access: access, credentials: credentials, picture: picture)
            }
        case .guestAgent:
            guard let socket = machine.guestAgentSocketPath else {
                return ProbeResult(probe: target.name, passed: false, seconds: 0, attempts: 0, detail: "no guest agent channel")
            }
            return await poll(target.name, limit: limit) { try await ProbeAttempts.guestAgent(socketPath: socket) }
        case .secureBoot:
            guard let socket = machine.guestAgentSocketPath, let firmware, firmware != .bios else {
                return ProbeResult(probe: target.name, passed: false, seconds: 0, attempts: 0, detail: "not a UEFI boot with a guest agent channel")
            }
            let expected = firmware == .uefiSecureBoot
            return await poll(target.name, limit: limit) {
                let reading = try await ProbeAttempts.secureBoot(socketPath: socket)
                guard reading.on == expected else {
                    throw FinalFailure("the guest says Secure Boot is \(reading.on ? "on" : "off") under \(firmware.displayName) (\(reading.source))")
                }
                return reading.source
            }
        case .desktopSession(let port, let websocketPath, let panel):
            // Its passing screen replaces the web-desktop probe's early picture: the catalog shows the drawn session.
            let (user, picture) = (plan.userName, options.pictures.map { $0 + "/" + VerifyOptions.desktopPicture })
            return await desktopProof(target, port: port, limit: limit) { hostPort, password in
                try await ProbeAttempts.desktopSession(
                    hostPort: hostPort, websocketPath: websocketPath, password: password, panel: panel, user: user, shells: try sessionShells(),
                    picture: picture)
            }
        case .desktopResize(let port, let websocketPath):
            return await desktopProof(target, port: port, limit: limit) { hostPort, password in
                try await ProbeAttempts.desktopResize(hostPort: hostPort, websocketPath: websocketPath, password: password)
            }
        case .clipboard(let port, let websocketPath, let display, let enabled):
            return await desktopProof(target, port: port, limit: limit) { hostPort, password in
                try await ProbeAttempts.clipboard(
                    hostPort: hostPort, websocketPath: websocketPath, password: password, display: display, enabled: enabled, shells: try sessionShells())
            }
        case .fileTransfer(let port, let path):
            let hostPort = machine.hostPorts[port]!
            let (access, credentials) = (plan.access.terminal, self.credentials)
            return await poll(target.name, limit: limit, auth: plan.access.terminalName) {
                try await ProbeAttempts.fileTransfer(hostPort: hostPort, path: path, access: access, credentials: credentials)
            }
        case .labTasks:
            guard let socket = machine.guestAgentSocketPath else {
                return ProbeResult(probe: target.name, passed: false, seconds: 0, attempts: 0, detail: "no guest agent channel")
            }
            let proof = LabTasksProof(runner: GuestAgentCommandRunner(socketPath: socket))
            // Only finding the tasks is retried (the agent or lab not there yet); the proof changes the guest, so it runs once.
            let found = Mutex<[LabTasksProof.Task]>([])
            let ready = await poll(target.name, limit: limit) {
                let tasks = try await proof.tasks()
                found.withLock { $0 = tasks }
                return "\(tasks.count) tasks"
            }
            guard ready.passed else { return ready }
            let tasks = found.withLock { $0 }
            let bound = Double(tasks.count * 4) * proof.commandTimeout + 60
            return await once(target.name, attempts: ready.attempts, bound: bound) { try await proof.prove(tasks) }
        case .homeReset:
            guard let socket = machine.guestAgentSocketPath, let marks = homeMarks else {
                return ProbeResult(probe: target.name, passed: false, seconds: 0, attempts: 0, detail: "no home disk attached to this boot")
            }
            let (proof, phase) = (HomeResetProof(runner: GuestAgentCommandRunner(socketPath: socket), marks: marks), homePhase)
            return await poll(target.name, limit: limit) {
                switch phase {
                case .write: return try await proof.write()
                case .check: return try await proof.check()
                }
            }
        case .idleStop:
            return await idleStop()
        case .ssh, .cloudInit:
            return ProbeResult(probe: target.name, passed: false, seconds: 0, attempts: 0, detail: "internal: run by the SSH chain")
        }
    }

    /// Runs `attempt` once, bounded by `bound` seconds: a proof that changes the guest is not repeated.
    private func once(_ name: String, attempts: Int, bound: Double, _ attempt: @escaping @Sendable () async throws -> String) async -> ProbeResult {
        do {
            let detail = try await withTimeout(bound, "no answer within \(Int(bound)) s") { try await attempt() }
            return ProbeResult(probe: name, passed: true, seconds: elapsed, attempts: attempts + 1, detail: detail)
        } catch {
            let stopped = machine.isRunning ? "" : " (the VM stopped: \(machine.stopDescription))"
            return ProbeResult(probe: name, passed: false, seconds: elapsed, attempts: attempts + 1, detail: "\(error)\(stopped)")
        }
    }

    /// The idle power-off proof, after every other probe: the web terminal's WebSocket held open, the window
    /// shortened over the guest agent, then closed (``IdleStopProof``).
    private func idleStop() async -> ProbeResult {
        let name = ProbeTarget.idleStop.name
        guard let socket = machine.guestAgentSocketPath else {
            return ProbeResult(probe: name, passed: false, seconds: elapsed, attempts: 0, detail: "no guest agent channel")
        }
        guard machine.isRunning else {
            return ProbeResult(probe: name, passed: false, seconds: elapsed, attempts: 0, detail: "stopped (\(machine.stopDescription)) before the idle-stop proof")
        }
        let shells: any SessionShellOpener
        do {
            guard let opener = try sessionShells() else {
                return ProbeResult(
                    probe: name, passed: false, seconds: elapsed, attempts: 0,
                    detail: "no web terminal in the plan to hold a session with (add the web-terminal probe)")
            }
            shells = opener
        } catch {
            return ProbeResult(probe: name, passed: false, seconds: elapsed, attempts: 0, detail: "\(error)")
        }
        let proof = IdleStopProof(
            machine: machine, agent: GuestAgentCommandRunner(socketPath: socket), shells: shells, shutdownSlack: options.powerOffSlack)
        // Counting the session and taking the override take a few ticks each; the hold and the power-off their limits.
        let bound = Double(proof.holdSeconds + 5 * proof.tick) + 2 * proof.margin + 60 + proof.powerOffLimit
        var result = await once(name, attempts: 0, bound: bound) { try await proof.prove() }
        result.auth = plan.access.terminalName
        return result
    }

    /// SSH login (banner + command), then cloud-init's status over the same key.
    private func sshChain(includeSSH: Bool) async -> [ProbeResult] {
        guard let hostPort = machine.hostPorts[22], let seed = self.seed else {
            return [ProbeResult(probe: includeSSH ? "ssh" : "cloud-init", passed: false, seconds: 0, attempts: 0, detail: "no SSH port or seed")]
        }
        let user = plan.userName
        let login = await poll("ssh", limit: options.probeTimeout) {
            let banner = try await ProbeAttempts.sshBanner(hostPort: hostPort)
            let output = try await ProbeAttempts.ssh(hostPort: hostPort, seed: seed, command: "id -un", timeout: 40)
            let name = output.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
            guard output.status == 0, name == user else {
                let why = output.timedOut ? "timed out" : output.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
                throw ProbeFailure("banner \(banner), but `ssh \(user)@… id -un` failed (exit \(output.status)): \(why)")
            }
            return "\(banner); `id -un` → \(name)"
        }
        var results = includeSSH ? [login] : []
        guard plan.targets.contains(.cloudInit) else { return results }
        guard login.passed else {
            results.append(ProbeResult(probe: "cloud-init", passed: false, seconds: elapsed, attempts: 0, detail: "not checked: no SSH login"))
            return results
        }
        let limit = options.deadline
        results.append(await poll("cloud-init", limit: limit) {
            let output = try await ProbeAttempts.ssh(
                hostPort: hostPort, seed: seed, command: "cloud-init status --wait --long", timeout: max(5, limit - elapsed))
            if output.status == 255 { throw ProbeFailure("ssh failed: \(output.stderr.trimmingCharacters(in: .whitespacesAndNewlines))") }
            switch CloudInitStatus.judge(exitStatus: output.status, output: output.stdoutText) {
            case .passed(let detail): return detail
            case .failed(let detail): throw FinalFailure(detail)
            }
        })
        return results
    }
}

/// A failure that retrying will not fix (cloud-init has finished with errors).
struct FinalFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Counts finished probes across tasks.
private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func increment() -> Int { lock.withLock { value += 1; return value } }
}

/// Reads `cloud-init status --wait --long`: exit 0 is clean, 1 is a critical error, 2 means recoverable errors.
enum CloudInitStatus: Equatable {
    case passed(String)
    case failed(String)

    /// Warnings that only say the seed's user already exists in the image (lab images create the lab user so
    /// their services can run as it; the seed then adds keys and password to it) do not fail the probe.
    static let harmless = ["already exists"]

    /// Judges cloud-init's outcome.
    /// - Parameters:
    ///   - exitStatus: Exit status of `cloud-init status --wait --long`.
    ///   - output: Its standard output.
    /// - Returns: Passed with the status line, or failed with the errors.
    static func judge(exitStatus: Int32, output: String) -> CloudInitStatus {
        // `--wait` prints a dot per second before the status; trim dots and whitespace.
        let lines = output.split(separator: "\n").map { $0.trimmingCharacters(in: CharacterSet.whitespaces.union(CharacterSet(charactersIn: "."))) }
        let status = lines.first { $0.hasPrefix("status:") } ?? "status unknown"
        var problems: [String] = []
        var inErrors = false
        for line in lines {
            if line.hasPrefix("errors:") || line.hasPrefix("recoverable_errors:") {
                inErrors = true
                if !line.hasSuffix("[]"), line.contains("[") { problems.append(line) }
                continue
            }
            if inErrors, line.hasPrefix("- ") { problems.append(String(line.dropFirst(2))) }
        }
        switch exitStatus {
        case 0:
            return .passed(status)
        case 2 where !problems.isEmpty && problems.allSatisfy({ problem in harmless.contains { problem.contains($0) } }):
            return .passed("\(status) (warning: \(problems.joined(separator: "; ")))")
        default:
            let detail = problems.isEmpty ? lines.filter { !$0.isEmpty }.suffix(6).joined(separator: "; ") : problems.joined(separator: "; ")
            return .failed("cloud-init finished with errors (exit \(exitStatus)): \(status); \(detail)")
        }
    }
}
