// The credentials contract between a lab image and whoever starts it: which files, where they come from, who reads them.

/// Credentials a VM is given at boot, never baked into the image.
///
/// The platform hands a VM a disk with serial ``diskSerial`` (KubeVirt attaches a Secret this way: an ISO9660
/// volume, one file per key). At every boot `lab-credentials.service` copies the known keys from it to
/// ``runtimeDirectory`` (a tmpfs: nothing reaches the image's disk), each file `0640 root:<agent user>`, before the
/// agents start. A pod mounts the same Secret at ``runtimeDirectory``. Agents look there first, then in
/// ``imageDirectory``, where only an explicit fixed credential of a recipe is stored.
public enum BootCredentials {
    /// The serial of the credentials disk (`/dev/disk/by-id/virtio-labcreds` in the guest).
    public static let diskSerial = "labcreds"
    /// Where credentials given at boot are (tmpfs).
    public static let runtimeDirectory = "/run/labforge/credentials"
    /// Where a recipe's explicit fixed credentials are stored in the image.
    public static let imageDirectory = "/etc/labforge/credentials"
    /// `user:password` for the web terminal's basic auth.
    public static let terminalKey = "terminal-credential"
    /// The web desktop's VNC password.
    public static let desktopKey = "desktop-password"
    /// The lab user's Linux password (optional).
    public static let passwordKey = "password"
    /// The oneshot unit that copies them.
    public static let unitName = "lab-credentials.service"
    /// Scripts labforge writes into images.
    public static let scriptDirectory = "/usr/libexec/labforge"

    /// A shell function for agent start scripts: `credential_file KEY` prints the path of a non-empty credential
    /// file (boot first, then the image's), or fails.
    static let lookupFunction = """
        credential_file() {
          for dir in \(runtimeDirectory) \(imageDirectory); do
            if [ -s "$dir/$1" ]; then echo "$dir/$1"; return 0; fi
          done
          return 1
        }
        """

    /// The steps that install `lab-credentials.service` for `readers` (key → the user that must read it).
    /// - Parameters:
    ///   - readers: Each key agents read, with the user their service runs as.
    ///   - passwordUser: Whose Linux password the `password` key sets, if anyone's.
    /// - Returns: The steps (script, unit, enable).
    static func steps(readers: [(key: String, user: String)], passwordUser: String?) -> [Step] {
        var lines = [
            "#!/bin/sh",
            "# Written by labforge: copies the credentials this VM was given at boot (a disk with serial \(diskSerial),",
            "# e.g. a KubeVirt Secret volume) to \(runtimeDirectory), a tmpfs, so they never reach the image's disk.",
            "set -u",
            "disk=/dev/disk/by-id/virtio-\(diskSerial)",
            "target=\(runtimeDirectory)",
            "i=0",
            "while [ ! -e \"$disk\" ] && [ $i -lt 50 ]; do sleep 0.2; i=$((i + 1)); done",
            "if [ ! -e \"$disk\" ]; then",
            "  echo \"lab-credentials: no disk with serial \(diskSerial); agents without a credential in \(imageDirectory) stay down\" >&2",
            "  exit 0",
            "fi",
            "mnt=$(mktemp -d)",
            "if ! mount -o ro,nosuid,nodev,noexec \"$disk\" \"$mnt\"; then",
            "  echo \"lab-credentials: cannot mount $disk\" >&2; rmdir \"$mnt\"; exit 1",
            "fi",
            "install -d -m 0755 -o root -g root /run/labforge \"$target\"",
        ]
        for reader in readers {
            lines.append("if [ -f \"$mnt/\(reader.key)\" ]; then install -m 0640 -o root -g \(reader.user) \"$mnt/\(reader.key)\" \"$target/\(reader.key)\" && echo \"lab-credentials: \(reader.key) for \(reader.user)\"; fi")
        }
        if let passwordUser {
            lines.append("if [ -s \"$mnt/\(passwordKey)\" ]; then head -n 1 \"$mnt/\(passwordKey)\" | sed 's/^/\(passwordUser):/' | chpasswd && passwd -u \(passwordUser) >/dev/null && echo \"lab-credentials: password of \(passwordUser) set\"; fi")
        }
        lines += ["umount \"$mnt\"", "rmdir \"$mnt\""]
        let script = "\(scriptDirectory)/lab-credentials"
        let unit = SystemdUnit(
            name: unitName,
            unit: [
                ("Description", "labforge: credentials given at boot (disk serial \(diskSerial)) to \(runtimeDirectory)"),
                ("After", "local-fs.target systemd-udevd.service"),
            ],
            service: [("Type", "oneshot"), ("RemainAfterExit", "yes"), ("ExecStart", script)],
            hardening: .system
        )
        return [
            .makeDirectory(path: scriptDirectory, mode: 0o755, owner: .root),
            .writeFile(path: script, contents: lines.joined(separator: "\n") + "\n", mode: 0o755, owner: .root),
        ] + unit.steps
    }
}

extension Recipe {
    /// The credentials unit's steps when some agent needs a credential given at boot, else none.
    var bootCredentialSteps: [Step] {
        var readers: [(key: String, user: String)] = []
        for agent in agents {
            switch agent {
            case .webTerminal(let terminal) where terminal.auth.readsCredentialFile:
                readers.append((BootCredentials.terminalKey, terminal.user))
            case .webDesktop(let desktop) where desktop.auth.readsPasswordFile:
                readers.append((BootCredentials.desktopKey, desktop.user))
            default: continue
            }
        }
        guard !readers.isEmpty else { return [] }
        let user = agents.flatMap(\.users).first { $0 != "root" }
        return BootCredentials.steps(readers: readers, passwordUser: user)
    }
}

extension TerminalAuth {
    /// Whether ttyd reads `terminal-credential` at start.
    var readsCredentialFile: Bool {
        switch self {
        case .bootCredential, .fixed: return true
        case .proxyHeader, .unauthenticated: return false
        }
    }
}

extension DesktopAuth {
    /// Whether the VNC server reads `desktop-password` at start.
    var readsPasswordFile: Bool {
        switch self {
        case .bootPassword, .fixedPassword: return true
        case .unauthenticated: return false
        }
    }
}

/// Quotes a word for `/bin/sh`: as it is when it holds only characters the shell takes literally, else in
/// single quotes (a quote inside becomes `'\''`). The one shell-quoting helper of labforge.
public func shellQuoted(_ word: String) -> String {
    if !word.isEmpty, word.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_./=:,+@%".contains($0)) }) { return word }
    return "'" + word.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "'\\''") + "'"
}
