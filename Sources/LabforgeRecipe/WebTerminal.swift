// The WebTerminal agent: ttyd serving a login shell to the browser, as a hardened systemd service.

/// A browser terminal (ttyd) running a shell as a lab user.
public struct WebTerminal: RecipeComponent, Hashable {
    /// An HTTP basic-auth credential ttyd asks for (kept in a root-only environment file in the image).
    public struct Credential: Sendable, Hashable {
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
    public static let debianSidPackage = PinnedArtifact(
        url: "http://deb.debian.org/debian/pool/main/t/ttyd/ttyd_1.7.7-8_amd64.deb",
        sha256: "2cd573842ad6a9b0b5db771db7edfc1640ae14e3d726de0b9adca86cec3c6b37"
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
    /// Optional HTTP basic auth.
    public var credential: Credential?
    /// Where ttyd comes from.
    public var source: PackageSource
    /// Whether the user may escalate (has sudo): then the unit keeps no-new-privileges off.
    public var allowPrivilegeEscalation: Bool

    /// Creates the agent.
    /// - Parameters:
    ///   - port: TCP port, 7681 by default.
    ///   - user: The user the shell runs as.
    ///   - command: The program ttyd runs, a login shell by default.
    ///   - writable: Let the browser type.
    ///   - basePath: URL prefix behind a reverse proxy.
    ///   - credential: Optional HTTP basic auth.
    ///   - source: The guest's repositories when they have ttyd, else the pinned sid `.deb`.
    ///   - allowPrivilegeEscalation: Set when the user has sudo.
    public init(
        port: Int = 7681, user: String = "student", command: [String] = ["/bin/bash", "--login"], writable: Bool = true,
        basePath: String = "/", credential: Credential? = nil,
        source: PackageSource = .repositoriesElse(WebTerminal.debianSidPackage), allowPrivilegeEscalation: Bool = false
    ) {
        self.port = port
        self.user = user
        self.command = command
        self.writable = writable
        self.basePath = basePath
        self.credential = credential
        self.source = source
        self.allowPrivilegeEscalation = allowPrivilegeEscalation
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

    static let credentialPath = "/etc/labforge/terminal.env"

    /// The ttyd binary: the packaged one, or where a pinned static executable is installed.
    var executable: String {
        switch source {
        case .artifact(let artifact), .repositoriesElse(let artifact):
            if artifact.kind == .executable, let path = artifact.installPath { return path }
            return "/usr/bin/ttyd"
        case .repositories:
            return "/usr/bin/ttyd"
        }
    }

    /// The unit file.
    public var unit: SystemdUnit {
        var arguments = [executable, "--port", String(port)]
        if writable { arguments.append("--writable") }
        if normalizedBasePath != "/" { arguments += ["--base-path", String(normalizedBasePath.dropLast())] }
        if credential != nil { arguments += ["--credential", "${LAB_TERMINAL_CREDENTIAL}"] }
        arguments += command
        var service: [(String, String)] = [
            ("User", user), ("Group", user), ("WorkingDirectory", "~"), ("Environment", "TERM=xterm-256color"),
        ]
        if credential != nil { service.append(("EnvironmentFile", Self.credentialPath)) }
        service += [("ExecStart", arguments.joined(separator: " ")), ("Restart", "always"), ("RestartSec", "1")]
        return SystemdUnit(
            name: Self.unitName,
            unit: [("Description", "labforge web terminal (ttyd) for \(user) on :\(port)"), ("After", "network.target")],
            service: service,
            hardening: .session(allowPrivilegeEscalation: allowPrivilegeEscalation)
        )
    }

    /// Installation and configuration steps.
    public var steps: [Step] {
        var steps: [Step] = [
            .install([PackageRequest("ttyd", source: source)]),
            // Debian's package enables its own ttyd.service (root `login` on lo:7681): ours replaces it.
            .unit(name: "ttyd.service", action: .disable),
        ]
        if let credential {
            steps.append(.makeDirectory(path: "/etc/labforge", mode: 0o755, owner: .root))
            steps.append(.writeFile(
                path: Self.credentialPath, contents: "LAB_TERMINAL_CREDENTIAL=\(credential.username):\(credential.password)\n",
                mode: 0o600, owner: .root
            ))
        }
        return steps + unit.steps
    }

    public var items: [RecipeItem] { [.agent(.webTerminal(self))] }
}
