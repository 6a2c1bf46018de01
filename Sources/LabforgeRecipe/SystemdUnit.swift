// systemd service units the agents write, rendered as text, with the hardening each service tolerates.

/// A systemd `.service` unit.
public struct SystemdUnit: Sendable, Hashable {
    /// Unit file name, e.g. `lab-terminal.service`.
    public var name: String
    /// `[Unit]` entries in order.
    public var unit: [(key: String, value: String)]
    /// `[Service]` entries in order.
    public var service: [(key: String, value: String)]
    /// `WantedBy=` targets of `[Install]`.
    public var wantedBy: [String]

    /// Creates a unit.
    /// - Parameters:
    ///   - name: File name.
    ///   - unit: `[Unit]` entries.
    ///   - service: `[Service]` entries (without hardening).
    ///   - hardening: Sandboxing entries appended to `[Service]`.
    ///   - wantedBy: Install targets.
    public init(
        name: String, unit: [(String, String)], service: [(String, String)], hardening: Hardening,
        wantedBy: [String] = ["multi-user.target"]
    ) {
        self.name = name
        self.unit = unit.map { (key: $0.0, value: $0.1) }
        self.service = service.map { (key: $0.0, value: $0.1) } + hardening.entries.map { (key: $0.0, value: $0.1) }
        self.wantedBy = wantedBy
    }

    /// The unit file's text.
    public var text: String {
        var lines = ["# Written by labforge.", "[Unit]"]
        lines += unit.map { "\($0.key)=\($0.value)" }
        lines += ["", "[Service]"]
        lines += service.map { "\($0.key)=\($0.value)" }
        lines += ["", "[Install]"]
        lines += wantedBy.map { "WantedBy=\($0)" }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Steps that write the unit to `/etc/systemd/system` and enable it.
    public var steps: [Step] {
        [
            .writeFile(path: "/etc/systemd/system/\(name)", contents: text, mode: 0o644, owner: .root),
            .unit(name: name, action: .enable),
        ]
    }

    public static func == (lhs: SystemdUnit, rhs: SystemdUnit) -> Bool { lhs.text == rhs.text && lhs.name == rhs.name }
    public func hash(into hasher: inout Hasher) {
        hasher.combine(name)
        hasher.combine(text)
    }
}

/// How much sandboxing a service gets; each level is what that kind of service still works under.
public enum Hardening: Sendable, Hashable {
    /// A network daemon with no interactive user (websockify): no privileges, read-only system, private
    /// /tmp and devices, no kernel knobs, inet and unix sockets only.
    case daemon
    /// A service owning a user's interactive session (ttyd's shell, the X server, the desktop session):
    /// the user's files stay writable and `/tmp` is shared (the X socket lives there). With
    /// `allowPrivilegeEscalation` (the user has sudo) no-new-privileges and the kernel protections are
    /// left off, because sudo in that session inherits them.
    case session(allowPrivilegeEscalation: Bool)
    /// A root oneshot that mounts a disk and sets a password (the boot credentials): no sandbox.
    case system

    /// The `[Service]` entries.
    public var entries: [(String, String)] {
        switch self {
        case .system:
            return []
        case .daemon:
            return [
                ("NoNewPrivileges", "yes"), ("ProtectSystem", "strict"), ("ProtectHome", "yes"),
                ("PrivateTmp", "yes"), ("PrivateDevices", "yes"), ("ProtectKernelTunables", "yes"),
                ("ProtectKernelModules", "yes"), ("ProtectKernelLogs", "yes"), ("ProtectControlGroups", "yes"),
                ("ProtectClock", "yes"), ("ProtectHostname", "yes"), ("RestrictNamespaces", "yes"),
                ("RestrictRealtime", "yes"), ("RestrictSUIDSGID", "yes"), ("LockPersonality", "yes"),
                ("CapabilityBoundingSet", ""), ("RestrictAddressFamilies", "AF_INET AF_INET6 AF_UNIX"),
                ("SystemCallArchitectures", "native"),
            ]
        case .session(let allowPrivilegeEscalation):
            // sudo apt-get in the session must write /usr and /etc: no ProtectSystem then either.
            let common: [(String, String)] = [("LockPersonality", "yes"), ("RestrictRealtime", "yes")]
            if allowPrivilegeEscalation { return common }
            return common + [
                ("ProtectSystem", "full"), ("NoNewPrivileges", "yes"), ("ProtectKernelTunables", "yes"), ("ProtectKernelModules", "yes"),
                ("ProtectKernelLogs", "yes"), ("ProtectControlGroups", "yes"), ("ProtectClock", "yes"),
                ("RestrictSUIDSGID", "yes"), ("RestrictNamespaces", "yes"), ("SystemCallArchitectures", "native"),
            ]
        }
    }
}
