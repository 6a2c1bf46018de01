// The WebDesktop agent: a VNC server on loopback, a desktop session, and noVNC served by websockify.

/// A browser desktop: Xtigervnc bound to 127.0.0.1, a window manager session, websockify + noVNC.
public struct WebDesktop: RecipeComponent, Hashable, Codable {
    /// The desktop session.
    public enum Session: String, Sendable, Hashable, Codable {
        /// matchbox-window-manager with one xterm: a few MiB.
        case minimal
        /// Xfce: panel with menu and clock, Thunar, xfce4-terminal, Mousepad, Firefox ESR (``packages``); a few hundred MiB.
        case xfce
    }

    /// Where the noVNC web client comes from.
    public enum NoVNCSource: String, Sendable, Hashable, Codable {
        /// Only `/usr/share/novnc` taken out of the `novnc` package: the package itself pulls in nodejs.
        case webFilesOnly
        /// The whole `novnc` package with its dependencies.
        case package
    }

    /// Unit names labforge writes.
    public static let unitNames = (vnc: "lab-vnc.service", session: "lab-desktop-session.service", novnc: "lab-novnc.service")

    /// websockify/noVNC TCP port.
    public var port: Int
    /// The user the desktop runs as.
    public var user: String
    /// X display number; the VNC server listens on 127.0.0.1:5900+display.
    public var display: Int
    /// Screen size, `1280x800`.
    public var geometry: String
    /// The desktop session.
    public var session: Session
    /// Where noVNC comes from.
    public var novnc: NoVNCSource
    /// Whether the user may escalate (has sudo).
    public var allowPrivilegeEscalation: Bool
    /// Who sees the desktop: VNC authentication with the password given at boot by default.
    public var auth: DesktopAuth
    /// Clipboard both ways between the viewer (noVNC) and the session's X clipboard. On by default; off for an exam.
    public var clipboard: Bool

    /// Creates the agent.
    /// - Parameters:
    ///   - port: websockify port, 6080 by default.
    ///   - user: The desktop user.
    ///   - display: X display number.
    ///   - geometry: Screen size.
    ///   - session: Minimal window manager (default) or the Xfce desktop.
    ///   - novnc: Web files only (default, lean) or the whole package.
    ///   - allowPrivilegeEscalation: Set when the user has sudo.
    ///   - auth: How viewers authenticate (default: the VNC password the VM is given at boot).
    ///   - clipboard: Clipboard both ways between the browser and the desktop.
    public init(
        port: Int = 6080, user: String = "student", display: Int = 1, geometry: String = "1280x800",
        session: Session = .minimal, novnc: NoVNCSource = .webFilesOnly, allowPrivilegeEscalation: Bool = false,
        auth: DesktopAuth = .bootPassword, clipboard: Bool = true
    ) {
        self.port = port
        self.user = user
        self.display = display
        self.geometry = geometry
        self.session = session
        self.novnc = novnc
        self.allowPrivilegeEscalation = allowPrivilegeEscalation
        self.auth = auth
        self.clipboard = clipboard
    }

    /// The X authority file in the desktop user's home that holds the display's cookie (Xlib's default place).
    public static let authorityFile = ".Xauthority"

    /// Bytes in lower-case hex, two digits each, as `xauth nlist` writes them.
    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef")
        return String(bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0xF)]] })
    }

    /// A length as `xauth nlist` writes it: four hex digits.
    static func hex(_ value: UInt16) -> String { hex([UInt8(value >> 8), UInt8(value & 0xFF)]) }

    /// The loopback-only RFB port.
    public var vncPort: Int { 5900 + display }

    /// The port it declares (the VNC port is loopback-only and not declared).
    public var ports: [AgentPort] { [AgentPort(name: "desktop", port: port, protocol: .http, path: "/vnc.html")] }

    /// The probes that prove it works.
    public var probes: [Probe] {
        [.httpPage(port: port, path: "/vnc.html", contains: "noVNC"), .rfbViaWebsockify(port: port, path: "/")]
    }

    /// Packages the desktop needs.
    public var packages: [String] {
        // xauth writes the display's cookie (X access control).
        var names = ["tigervnc-standalone-server", "websockify", "xauth"]
        // tigervncpasswd turns the password into the VNC server's password file.
        if auth.readsPasswordFile { names.append("tigervnc-tools") }
        names += session.packages
        // The session's X clipboard from a shell (`DISPLAY=:1 xclip -selection clipboard -o`): the student's terminals,
        // and verify's clipboard proof through the web terminal. Not in an image whose clipboard is off.
        if clipboard { names.append("xclip") }
        if novnc == .package { names.append("novnc") }
        return names
    }

    /// Xtigervnc's clipboard parameters: both ways (the viewer's text becomes the X clipboard and PRIMARY; either
    /// selection goes back to the viewer) with ``clipboard``, neither way without it.
    var clipboardArguments: [String] {
        let on = clipboard ? "1" : "0"
        return ["AcceptCutText", "SendCutText", "SetPrimary", "SendPrimary"].map { "-\($0)=\(on)" }
    }

    /// The VNC server's start script: only with the password its auth mode needs, else a journal line and exit 78.
    public static let scriptPath = "\(BootCredentials.scriptDirectory)/lab-vnc"

    /// The start script's text.
    public var script: String {
        var lines = ["#!/bin/sh", "# Written by labforge: starts the VNC X server for the browser desktop (auth: \(auth.name)).", "set -eu"]
        var security = ["-SecurityTypes", "None"]
        if auth.readsPasswordFile {
            let key = BootCredentials.desktopKey
            lines += [
                BootCredentials.lookupFunction,
                "if ! file=$(credential_file \(key)); then",
                "  echo \"lab-vnc: no \(key) in \(BootCredentials.runtimeDirectory) (the \(BootCredentials.diskSerial) disk or Secret) or \(BootCredentials.imageDirectory); not serving the desktop without it\" >&2",
                "  exit 78",
                "fi",
                "umask 077",
                "passwords=\"${RUNTIME_DIRECTORY:-/tmp}/passwd\"",
                "head -n 1 \"$file\" | /usr/bin/tigervncpasswd -f > \"$passwords\"",
            ]
            security = ["-SecurityTypes", "VncAuth", "-PasswordFile", "\"$passwords\""]
        }
        // X access control: a fresh MIT-MAGIC-COOKIE-1 in the user's ~/.Xauthority (0600), where the session and the
        // user's terminals find it; without it no local process of another user can attach to the display. The entry
        // is for any host name (family "wild", as `xauth nlist` writes it): cloud-init may rename the VM after the X
        // server started. The cookie reaches xauth on its standard input (printf is a shell builtin), never a command line.
        let number = Array(String(display).utf8)
        let cookieEntry = "ffff 0000 \(Self.hex(UInt16(number.count))) \(Self.hex(number)) 0012 \(Self.hex(Array("MIT-MAGIC-COOKIE-1".utf8))) 0010 %s\\n"
        lines += [
            "umask 077",
            "authority=\"${HOME:?lab-vnc: HOME is not set}/\(Self.authorityFile)\"",
            "[ -e \"$authority\" ] || : > \"$authority\"",
            "cookie=$(/usr/bin/od -An -N16 -tx1 /dev/urandom | /usr/bin/tr -d ' \\n')",
            "printf '\(cookieEntry)' \"$cookie\" | /usr/bin/xauth -q -f \"$authority\" nmerge -",
        ]
        // `-s 0`: the X server's own screensaver never blanks the session (there is no locker to wake it from).
        // `-AcceptSetDesktopSize=1`: a viewer may resize the desktop to its window (noVNC's remote resize); the session
        // follows through RandR.
        let arguments = ["/usr/bin/Xtigervnc", ":\(display)", "-geometry", geometry, "-depth", "24"].map(shellQuoted) + security
            + ["-auth", "\"$authority\"", "-localhost", "-rfbport", String(vncPort), "-AlwaysShared", "-desktop", "lab", "-s", "0",
               "-AcceptSetDesktopSize=1"] + clipboardArguments
        lines.append("exec " + arguments.joined(separator: " "))
        return lines.joined(separator: "\n") + "\n"
    }

    /// The three units: X server, session, websockify.
    public var units: [SystemdUnit] {
        let hardening = Hardening.session(allowPrivilegeEscalation: allowPrivilegeEscalation)
        var vncUnit: [(String, String)] = [("Description", "labforge VNC X server :\(display) (RFB on 127.0.0.1:\(vncPort) only) for \(user), auth \(auth.name)")]
        var after = "network.target"
        if auth.readsPasswordFile {
            after += " \(BootCredentials.unitName)"
            vncUnit.append(("Wants", BootCredentials.unitName))
        }
        vncUnit += [("After", after), ("StartLimitIntervalSec", "0")]
        let vnc = SystemdUnit(
            name: Self.unitNames.vnc,
            unit: vncUnit,
            service: [
                ("User", user), ("Group", user), ("WorkingDirectory", "~"),
                ("RuntimeDirectory", "lab-vnc"), ("RuntimeDirectoryMode", "0700"),
                ("ExecStart", Self.scriptPath), ("Restart", "always"), ("RestartSec", "5"),
            ],
            hardening: hardening
        )
        var sessionService: [(String, String)] = [("User", user), ("Group", user), ("WorkingDirectory", "~"), ("Environment", "DISPLAY=:\(display)")]
        if session == .xfce {
            sessionService += [("RuntimeDirectory", Self.sessionRuntimeDirectory), ("RuntimeDirectoryMode", "0700")]
        }
        sessionService += [("ExecStartPre", waitForDisplay), ("ExecStart", sessionCommand), ("Restart", "always"), ("RestartSec", "1")]
        let session = SystemdUnit(
            name: Self.unitNames.session,
            unit: [("Description", "labforge desktop session on VNC display :\(display)"), ("Requires", Self.unitNames.vnc), ("After", Self.unitNames.vnc)],
            service: sessionService,
            hardening: hardening
        )
        let novnc = SystemdUnit(
            name: Self.unitNames.novnc,
            unit: [("Description", "labforge noVNC + websockify on :\(port) → VNC 127.0.0.1:\(vncPort)"), ("After", "network.target \(Self.unitNames.vnc)"), ("Wants", Self.unitNames.vnc)],
            service: [
                ("DynamicUser", "yes"),
                ("ExecStart", "/usr/bin/websockify --web /usr/share/novnc \(port) 127.0.0.1:\(vncPort)"),
                ("Restart", "always"), ("RestartSec", "1"),
            ],
            hardening: .daemon
        )
        return [vnc, session, novnc]
    }

    /// Installation and configuration steps.
    public var steps: [Step] {
        var steps: [Step] = [.install(packages.map { PackageRequest($0) })]
        if novnc == .webFilesOnly { steps.append(.extractPackageFiles(package: "novnc", path: "/usr/share/novnc")) }
        // `/` opens the client instead of a directory listing.
        steps.append(.symlink(target: "vnc.html", path: "/usr/share/novnc/index.html"))
        // Replaces the package's empty `{}` (with `.package`, an upgrade of novnc would put that back).
        steps.append(.writeFile(path: Self.noVNCDefaultsPath, contents: Self.noVNCDefaultsJSON, mode: 0o644, owner: .root))
        if case .fixedPassword(let password) = auth {
            steps.append(.makeDirectory(path: BootCredentials.imageDirectory, mode: 0o750, owner: .root))
            steps.append(.writeFile(
                path: "\(BootCredentials.imageDirectory)/\(BootCredentials.desktopKey)", contents: password + "\n", mode: 0o640,
                owner: FileOwner("root", group: user)))
        }
        steps.append(.makeDirectory(path: BootCredentials.scriptDirectory, mode: 0o755, owner: .root))
        steps.append(.writeFile(path: Self.scriptPath, contents: script, mode: 0o755, owner: .root))
        return steps + sessionSteps + units.flatMap(\.steps)
    }

    public var items: [RecipeItem] { [.agent(.webDesktop(self))] }
}
