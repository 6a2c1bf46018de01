// The WebTerminal agent: ttyd serving a login shell to the browser, as a hardened systemd service.

/// A browser terminal (ttyd) running a shell as a lab user.
public struct WebTerminal: RecipeComponent, Hashable, Codable {
    /// An HTTP basic-auth credential stored in the image (``TerminalAuth/fixed(_:)``).
    public struct Credential: Sendable, Hashable, Codable {
        /// User name.
        public var username: String
        /// Password.
        public var password: String
        /// Creates a credential.
        /// - Parameters:
        ///   - username: User name.
        ///   - password: Password.
        public init(username: String, password: String) {
            self.username = username
            self.password = password
        }
    }

    /// ttyd from the Debian mirror's sid pool: Debian 12 and 13 do not package ttyd; this `.deb`
    /// installs on Debian 13 with Debian 13's own libraries (apt resolves them from the guest's repositories).
    /// amd64's, with arm64's build of the same version as its variant.
    public static let debianSidPackage = PinnedArtifact(
        url: "http://deb.debian.org/debian/pool/main/t/ttyd/ttyd_1.7.7-8_amd64.deb",
        sha256: "2cd573842ad6a9b0b5db771db7edfc1640ae14e3d726de0b9adca86cec3c6b37",
        variants: [.arm64: .init(
            url: "http://deb.debian.org/debian/pool/main/t/ttyd/ttyd_1.7.7-8_arm64.deb",
            sha256: "7931c891d72b45e9273e56e0f54f0dfaa9f943d75ece4718b882ba64c17e7171")]
    )

    /// The systemd unit labforge writes.
    public static let unitName = "lab-terminal.service"

    /// TCP port.
    public var port: Int
    /// The user the shell runs as.
    public var user: String
    /// The command ttyd runs for each browser tab.
    public var command: [String]
    /// Let the browser type (ttyd ≥ 1.7 is read-only without `--writable`).
    public var writable: Bool
    /// URL prefix when served behind a reverse proxy (`/lab/terminal`); `/` otherwise.
    public var basePath: String
    /// Who gets a shell: the boot credential by default.
    public var auth: TerminalAuth
    /// Where ttyd comes from.
    public var source: PackageSource
    /// Whether the user may escalate (has sudo): then the unit keeps no-new-privileges off.
    public var allowPrivilegeEscalation: Bool
    /// Files in and out of the browser with ZMODEM: `sz FILE` downloads, `rz` opens an upload dialog (ttyd's
    /// `enableZmodem` with Debian's lrzsz). On by default.
    public var fileTransfer: Bool

    /// Creates the agent.
    /// - Parameters:
    ///   - port: TCP port, 7681 by default.
    ///   - user: The user the shell runs as.
    ///   - command: The program ttyd runs, a login shell by default.
    ///   - writable: Let the browser type.
    ///   - basePath: URL prefix behind a reverse proxy.
    ///   - auth: How browsers authenticate (default: the credential the VM is given at boot).
    ///   - source: The guest's repositories when they have ttyd, else the pinned sid `.deb`.
    ///   - allowPrivilegeEscalation: Set when the user has sudo.
    ///   - fileTransfer: ZMODEM file transfer in the browser (`sz`, `rz`).
    public init(
        port: Int = 7681, user: String = "student", command: [String] = ["/bin/bash", "--login"], writable: Bool = true,
        basePath: String = "/", auth: TerminalAuth = .bootCredential,
        source: PackageSource = .repositoriesElse(WebTerminal.debianSidPackage), allowPrivilegeEscalation: Bool = false,
        fileTransfer: Bool = true
    ) {
        self.port = port
        self.user = user
        self.command = command
        self.writable = writable
        self.basePath = basePath
        self.auth = auth
        self.source = source
        self.allowPrivilegeEscalation = allowPrivilegeEscalation
        self.fileTransfer = fileTransfer
    }

    /// The port it declares.
    public var ports: [AgentPort] { [AgentPort(name: "terminal", port: port, protocol: .http, path: normalizedBasePath)] }

    /// The probe that proves it works.
    public var probes: [Probe] { [.ttydWebSocket(port: port, path: normalizedBasePath)] }

    /// `basePath` with exactly one leading and one trailing slash.
    public var normalizedBasePath: String {
        let trimmed = basePath.split(separator: "/").joined(separator: "/")
        return trimmed.isEmpty ? "/" : "/\(trimmed)/"
    }

    /// The start script: ttyd only with what its auth mode needs, else a journal line and exit status 78.
    public static let scriptPath = "\(BootCredentials.scriptDirectory)/lab-terminal"

    /// The binary path, as packaged or installed from a pinned artifact.
    var executable: String {
        switch source {
        case .artifact(let artifact), .repositoriesElse(let artifact):
            if artifact.kind == .executable, let path = artifact.installPath { return path }
            return "/usr/bin/ttyd"
        case .repositories:
            return "/usr/bin/ttyd"
        }
    }

    /// The start script's text.
    public var script: String {
        // `--debug 3` keeps ttyd's start-up notices (which print the credential) out of the journal.
        // `--check-origin`: a WebSocket whose Origin is not the page's own host is refused. A browser attaches a cached
        // basic-auth credential to a WebSocket any other site opens (cross-site WebSocket hijacking); the Origin it
        // sends cannot be forged by that site.
        var arguments = [executable, "--port", String(port), "--debug", "3", "--check-origin"]
        if writable { arguments.append("--writable") }
        if normalizedBasePath != "/" { arguments += ["--base-path", String(normalizedBasePath.dropLast())] }
        var lines = ["#!/bin/sh", "# Written by labforge: starts ttyd for the browser terminal (auth: \(auth.name)).", "set -eu"]
        switch auth {
        case .bootCredential, .fixed:
            let key = BootCredentials.terminalKey
            lines += [
                BootCredentials.lookupFunction,
                "if ! file=$(credential_file \(key)); then",
                "  echo \"lab-terminal: no \(key) in \(BootCredentials.runtimeDirectory) (the \(BootCredentials.diskSerial) disk or Secret) or \(BootCredentials.imageDirectory); not serving a shell without it\" >&2",
                "  exit 78",
                "fi",
                "credential=$(head -n 1 \"$file\")",
                "case \"$credential\" in",
                "  ?*:?*) ;;",
                "  *) echo \"lab-terminal: $file must hold user:password on its first line; not serving\" >&2; exit 78 ;;",
                "esac",
            ]
            arguments += ["--credential", "\"$credential\""]
        case .proxyHeader(let header):
            arguments += ["--auth-header", header]
        case .unauthenticated:
            break
        }
        // ZMODEM in ttyd's page (a client option, `-t`): `sz FILE` in the shell downloads it, `rz` opens an upload
        // dialog; both through this authenticated WebSocket, nothing else.
        if fileTransfer { arguments += ["--client-option", "enableZmodem=true"] }
        let quoted = arguments.map { $0 == "\"$credential\"" ? $0 : shellQuoted($0) } + command.map(shellQuoted)
        lines.append("exec " + quoted.joined(separator: " "))
        return lines.joined(separator: "\n") + "\n"
    }

    /// The unit file.
    public var unit: SystemdUnit {
        var unit: [(String, String)] = [("Description", "labforge web terminal (ttyd) for \(user) on :\(port), auth \(auth.name)")]
        var after = "network.target"
        if auth.readsCredentialFile {
            after += " \(BootCredentials.unitName)"
            unit.append(("Wants", BootCredentials.unitName))
        }
        // Without a credential the script exits 78; keep trying (a credential may arrive later) without a start limit.
        unit += [("After", after), ("StartLimitIntervalSec", "0")]
        return SystemdUnit(
            name: Self.unitName,
            unit: unit,
            service: [
                ("User", user), ("Group", user), ("WorkingDirectory", "~"), ("Environment", "TERM=xterm-256color"),
                ("ExecStart", Self.scriptPath), ("Restart", "always"), ("RestartSec", "5"),
            ],
            hardening: .session(allowPrivilegeEscalation: allowPrivilegeEscalation)
        )
    }

    /// Packages from the guest's repositories besides ttyd: `lrzsz` (`sz`, `rz`) with ``fileTransfer``.
    public var packages: [String] { fileTransfer ? ["lrzsz"] : [] }

    /// Installation and configuration steps.
    public var steps: [Step] {
        var steps: [Step] = [
            .install([PackageRequest("ttyd", source: source)] + packages.map { PackageRequest($0) }),
            // Debian's package enables its own ttyd.service (root `login` on lo:7681): ours replaces it.
            .unit(name: "ttyd.service", action: .disable),
        ]
        if case .fixed(let credential) = auth {
            steps.append(.makeDirectory(path: BootCredentials.imageDirectory, mode: 0o750, owner: .root))
            steps.append(.writeFile(
                path: "\(BootCredentials.imageDirectory)/\(BootCredentials.terminalKey)",
                contents: "\(credential.username):\(credential.password)\n", mode: 0o640, owner: FileOwner("root", group: user)
            ))
        }
        steps.append(.makeDirectory(path: BootCredentials.scriptDirectory, mode: 0o755, owner: .root))
        steps.append(.writeFile(path: Self.scriptPath, contents: script, mode: 0o755, owner: .root))
        return steps + unit.steps
    }

    public var items: [RecipeItem] { [.agent(.webTerminal(self))] }
}
