// What to check in a booted image: the lab user and the probes, from a recipe's agents or `--probe` options.

/// One thing a student (or the platform) relies on in a booted lab image.
public enum ProbeTarget: Sendable, Hashable, Codable {
    /// ttyd: HTTP 200 with ttyd's page at `/`, then a WebSocket at `path` (subprotocol `tty`) that runs a command.
    case webTerminal(port: Int, path: String = "ws")
    /// noVNC + websockify: HTTP 200 for `path` (`vnc.html`), then a WebSocket at `websocketPath` that sends the RFB banner.
    case webDesktop(port: Int, path: String = "vnc.html", websocketPath: String = "websockify")
    /// sshd on guest port 22: the `SSH-2.0-` banner, then a command run with the generated key.
    case ssh
    /// cloud-init finished without errors (asked over SSH).
    case cloudInit
    /// qemu-guest-agent answers `guest-ping` on its virtio-serial port.
    case guestAgent
    /// The guest reads its `SecureBoot` EFI variable over the guest agent: on under UEFI Secure Boot, off under plain
    /// UEFI. Added by the verifier to UEFI boots; it has no meaning under BIOS or in a container.
    case secureBoot
    /// The desktop is not a blank screen: in a full RFB framebuffer update through websockify, under 90 % of the
    /// pixels have one colour; the screen is taken again until two in a row are equal (what is passed and pictured is
    /// the session drawn). With `panel`, that process (`xfce4-panel`) also runs as the lab user, asked with `pgrep` in
    /// the web terminal's shell, and has its plugins loaded (Xfce: the application menu and the clock, read from its
    /// `/proc/PID/maps`).
    case desktopSession(port: Int, websocketPath: String = "websockify", panel: String? = nil)
    /// Resizing from the browser: ExtendedDesktopSize announced over RFB, a SetDesktopSize to another size answered
    /// with status 0 and a framebuffer of that size, then the old size asked back.
    case desktopResize(port: Int, websocketPath: String = "websockify")
    /// The clipboard both ways: ClientCutText reaches the X clipboard of `display`, text set there comes back as
    /// ServerCutText (the X side read and set with xclip in the web terminal's shell). With `enabled` false (an exam)
    /// neither way may work.
    case clipboard(port: Int, websocketPath: String = "websockify", display: Int = 1, enabled: Bool = true)
    /// ZMODEM in the web terminal: ttyd's client options enable it, `sz` and `rz` start transfers (ZRQINIT,
    /// ZRINIT reach the browser), each aborted so the shell answers again.
    case fileTransfer(port: Int, path: String = "ws")
    /// The lab's tasks, over the guest agent as root: each `lab check N` fails on the fresh image; with a solve
    /// script, `lab solve N` then `lab check N` pass; results.json records each (``LabTasksProof``).
    case labTasks
    /// The persistent home: /home is on the disk with serial `lab-home`; a file written there survives a second boot
    /// with a fresh system overlay and the same home disk, one written in /etc does not (``HomeResetProof``).
    case homeReset
    /// The idle power-off, last: an open web-terminal WebSocket keeps the VM up past a shortened idle window, and once
    /// it closes the guest powers itself off in time (``IdleStopProof``).
    case idleStop

    /// The probe's short name in reports and `--probe` options.
    public var name: String {
        switch self {
        case .webTerminal: return "web-terminal"
        case .webDesktop: return "web-desktop"
        case .ssh: return "ssh"
        case .cloudInit: return "cloud-init"
        case .guestAgent: return "guest-agent"
        case .secureBoot: return "secure-boot"
        case .desktopSession: return "desktop-session"
        case .desktopResize: return "desktop-resize"
        case .clipboard(_, _, _, let enabled): return enabled ? "clipboard" : "clipboard-off"
        case .fileTransfer: return "file-transfer"
        case .labTasks: return "lab-tasks"
        case .homeReset: return "home-reset"
        case .idleStop: return "idle-stop"
        }
    }

    /// The guest TCP port the probe needs forwarded to the host, if any.
    public var guestPort: Int? {
        switch self {
        case .webTerminal(let port, _), .webDesktop(let port, _, _), .desktopSession(let port, _, _), .desktopResize(let port, _),
             .clipboard(let port, _, _, _), .fileTransfer(let port, _):
            return port
        case .ssh, .cloudInit: return 22
        case .guestAgent, .secureBoot, .labTasks, .homeReset, .idleStop: return nil
        }
    }

    /// Whether the probe talks to a browser-facing agent (the web terminal or desktop), with its authentication.
    public var probesAgent: Bool {
        switch self {
        case .webTerminal, .webDesktop, .desktopSession, .desktopResize, .clipboard, .fileTransfer: return true
        case .ssh, .cloudInit, .guestAgent, .secureBoot, .labTasks, .homeReset, .idleStop: return false
        }
    }

    /// Whether the probe speaks RFB to the desktop through websockify (such probes run one after another: a
    /// resize must not land in the middle of another probe's screenshot).
    public var probesDesktop: Bool {
        switch self {
        case .webDesktop, .desktopSession, .desktopResize, .clipboard: return true
        default: return false
        }
    }

    /// Parses a `--probe` value: `web-terminal[:PORT[/PATH]]`, `web-desktop[:PORT]`, `ssh`, `cloud-init`, `guest-agent`,
    /// `secure-boot`, `desktop-session[=PANEL][:PORT[/PATH]]`, `desktop-resize[:PORT[/PATH]]`,
    /// `clipboard[=DISPLAY][:PORT[/PATH]]`, `clipboard-off[=DISPLAY][:PORT[/PATH]]`, `file-transfer[:PORT[/PATH]]`,
    /// `lab-tasks`, `home-reset`, `idle-stop` (VM only; idle-stop holds the plan's web terminal open) (the desktop proofs' PATH is websockify's WebSocket, `websockify`; the file transfer's ttyd's, `ws`).
    /// - Parameter text: The option value.
    /// - Returns: The probe, with ttyd's 7681 and websockify's 6080 as default ports, display 1.
    /// - Throws: ``VerifyError/invalidProbe(_:)``.
    public static func parse(_ text: String) throws -> ProbeTarget {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        let named = (parts.first ?? "").split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let kind = named.first ?? ""
        let value = named.count == 2 ? named[1] : nil
        guard value == nil || ["desktop-session", "clipboard", "clipboard-off"].contains(kind), value?.isEmpty != true else {
            throw VerifyError.invalidProbe(text)
        }
        var port: Int?
        var path: String?
        if parts.count == 2 {
            let portAndPath = parts[1].split(separator: "/", maxSplits: 1).map(String.init)
            guard let number = Int(portAndPath[0]), (1...65535).contains(number) else { throw VerifyError.invalidProbe(text) }
            port = number
            if portAndPath.count == 2 { path = portAndPath[1] }
        }
        switch kind {
        case "web-terminal", "ttyd": return .webTerminal(port: port ?? 7681, path: path ?? "ws")
        case "web-desktop", "novnc": return .webDesktop(port: port ?? 6080, path: path ?? "vnc.html")
        case "ssh" where parts.count == 1: return .ssh
        case "cloud-init" where parts.count == 1: return .cloudInit
        case "guest-agent" where parts.count == 1: return .guestAgent
        case "secure-boot" where parts.count == 1: return .secureBoot
        case "desktop-session": return .desktopSession(port: port ?? 6080, websocketPath: path ?? "websockify", panel: value)
        case "desktop-resize": return .desktopResize(port: port ?? 6080, websocketPath: path ?? "websockify")
        case "clipboard", "clipboard-off":
            let display: Int? = if let value { Int(value) } else { 1 }
            guard let display, (0...99).contains(display) else { throw VerifyError.invalidProbe(text) }
            return .clipboard(port: port ?? 6080, websocketPath: path ?? "websockify", display: display, enabled: kind == "clipboard")
        case "file-transfer": return .fileTransfer(port: port ?? 7681, path: path ?? "ws")
        case "lab-tasks" where parts.count == 1: return .labTasks
        case "home-reset" where parts.count == 1: return .homeReset
        case "idle-stop" where parts.count == 1: return .idleStop
        default: throw VerifyError.invalidProbe(text)
        }
    }
}

/// Everything `labforge verify` checks, independent of the recipe DSL (the build maps a recipe's agents onto it).
public struct ProbePlan: Sendable, Equatable, Codable {
    /// The lab user the seed creates (password and SSH key generated per run).
    public var userName: String
    /// Probes in report order; duplicates are ignored.
    public var targets: [ProbeTarget]
    /// How the terminal and desktop must authenticate (default: credentials given at boot, like shipped recipes).
    public var access: AgentAccess

    /// Creates a plan.
    /// - Parameters:
    ///   - userName: The lab user (default `student`).
    ///   - targets: The probes to run.
    ///   - access: The agents' authentication.
    public init(userName: String = "student", targets: [ProbeTarget], access: AgentAccess = AgentAccess()) {
        self.userName = userName
        self.access = access
        var seen = Set<ProbeTarget>()
        self.targets = targets.filter { seen.insert($0).inserted }
    }

    /// The probes every lab image gets: SSH, cloud-init and the guest agent.
    public static let basic: [ProbeTarget] = [.ssh, .cloudInit, .guestAgent]

    /// Guest TCP ports to forward, without duplicates, in first-use order.
    public var forwardedGuestPorts: [Int] {
        var ports: [Int] = []
        for target in targets { if let port = target.guestPort, !ports.contains(port) { ports.append(port) } }
        return ports
    }

    /// Whether the VM must be given credentials at boot: an agent probe expects them.
    public var needsBootCredentials: Bool {
        targets.contains(where: \.probesAgent) && access.needsBootCredentials
    }

    /// Whether some probe needs a login over SSH (the SSH and cloud-init probes).
    public var needsSSH: Bool { targets.contains(.ssh) || targets.contains(.cloudInit) }
}
