// The pod lab's init: tini as PID 1 and a small POSIX-shell supervisor that runs the agents' own start commands.

/// One agent process the supervisor keeps running, read from the agent's systemd unit so that the VM and the
/// pod start the same command with the same environment.
public struct SupervisedService: Sendable, Hashable {
    /// The unit's name without `.service` (`lab-terminal`).
    public var name: String
    /// `ExecStartPre=` commands, in order; a failing one restarts the service.
    public var preStart: [String]
    /// `ExecStart=`.
    public var command: String
    /// `Environment=` assignments (`TERM=xterm-256color`).
    public var environment: [String]
    /// `RuntimeDirectory=`: made 0700 below the supervisor's runtime directory and passed as `RUNTIME_DIRECTORY`.
    public var runtimeDirectory: String?
    /// `RestartSec=` (seconds).
    public var restartSeconds: Int

    /// Reads the service from a unit.
    /// - Parameter unit: An agent's unit.
    public init(unit: SystemdUnit) {
        name = unit.name.hasSuffix(".service") ? String(unit.name.dropLast(".service".count)) : unit.name
        preStart = unit.service.filter { $0.key == "ExecStartPre" }.map(\.value)
        command = unit.service.last { $0.key == "ExecStart" }?.value ?? "/bin/false"
        environment = unit.service.filter { $0.key == "Environment" }.map(\.value)
        runtimeDirectory = unit.service.last { $0.key == "RuntimeDirectory" }?.value
        restartSeconds = unit.service.last { $0.key == "RestartSec" }.flatMap { Int($0.value) } ?? 1
    }
}

/// The init of a pod lab image.
///
/// `tini -g` is PID 1 (Debian's `tini`: reaps zombies, forwards SIGTERM to the whole process group), and its
/// one child is ``path``, a shell script that
/// 1. writes credentials given as environment variables (``terminalVariable``, ``desktopVariable``) to
///    ``BootCredentials/runtimeDirectory`` — unless a Secret is mounted there, which wins — and unsets them, so
///    the agents' start scripts find credentials where they find them in a VM;
/// 2. starts every ``SupervisedService`` in a restart loop (`Restart=always` with its `RestartSec`), as the image's
///    user; a start script without its credential exits 78 and is retried, so the agent stays down (fail closed);
/// 3. on SIGTERM/SIGINT (tini sends it to every process of the group at once) stops restarting and exits 0.
public enum LabSupervisor {
    /// The supervisor script in the image.
    public static let path = "\(BootCredentials.scriptDirectory)/lab-init"
    /// tini from Debian.
    public static let tini = "/usr/bin/tini"
    /// The image's entrypoint.
    public static let entrypoint = [tini, "-g", "--", path]
    /// Packages the init needs in the root tree.
    public static let packages = ["tini"]
    /// The terminal credential (`user:password`) as an environment variable.
    public static let terminalVariable = "LAB_TERMINAL_CREDENTIAL"
    /// The desktop's VNC password as an environment variable.
    public static let desktopVariable = "LAB_DESKTOP_PASSWORD"
    /// Where services' runtime directories go (writable by the lab user; a pod may mount an emptyDir there).
    public static let runtimeDirectory = "/tmp/labforge"

    /// The supervisor script for `services`.
    /// - Parameter services: The agents' services, in start order.
    /// - Returns: A `/bin/sh` script.
    public static func script(services: [SupervisedService]) -> String {
        var lines = [
            "#!/bin/sh",
            "# Written by labforge: the pod lab's supervisor (tini runs it). Starts each agent's start command in a",
            "# restart loop, as the VM's systemd units do; stops on SIGTERM. Credentials come from the Secret mounted at",
            "# \(BootCredentials.runtimeDirectory) or from \(terminalVariable) / \(desktopVariable) at start, never from the image.",
            "set -u",
            "credentials=\(BootCredentials.runtimeDirectory)",
            "runtime=\"${LAB_RUNTIME_DIRECTORY:-\(runtimeDirectory)}\"",
            "put_credential() {",
            "  eval \"value=\\${$2:-}\"",
            "  [ -n \"$value\" ] || return 0",
            "  if [ -s \"$credentials/$1\" ]; then echo \"lab-init: $1 comes from the mounted Secret; ignoring $2\" >&2; return 0; fi",
            "  if ! (umask 077 && printf '%s\\n' \"$value\" > \"$credentials/$1\") 2>/dev/null; then",
            "    echo \"lab-init: cannot write $credentials/$1 (read-only?); $2 is not used\" >&2",
            "  fi",
            "}",
            "put_credential \(BootCredentials.terminalKey) \(terminalVariable)",
            "put_credential \(BootCredentials.desktopKey) \(desktopVariable)",
            "unset \(terminalVariable) \(desktopVariable) value",
            "mkdir -p -m 0700 \"$runtime\"",
            "cd \"${HOME:-/}\" 2>/dev/null || cd /",
            "stopping=",
            "trap 'stopping=1' TERM INT",
            "supervise() {",
            "  name=$1; delay=$2",
            "  while [ -z \"$stopping\" ]; do",
            "    \"start_$name\"",
            "    status=$?",
            "    [ -n \"$stopping\" ] && break",
            "    echo \"lab-init: $name exited with status $status; starting it again in $delay s\" >&2",
            "    sleep \"$delay\"",
            "  done",
            "}",
        ]
        for service in services {
            let function = identifier(service.name)
            lines.append("start_\(function)() (")
            for assignment in service.environment { lines.append("  export \(assignment)") }
            if let directory = service.runtimeDirectory {
                lines.append("  export RUNTIME_DIRECTORY=\"$runtime/\(directory)\"")
                lines.append("  mkdir -p -m 0700 \"$RUNTIME_DIRECTORY\" || exit 1")
            }
            for command in service.preStart { lines.append("  \(command) || exit $?") }
            lines.append("  exec \(service.command)")
            lines.append(")")
        }
        for service in services {
            lines.append("echo \"lab-init: starting \(service.name)\" >&2")
            lines.append("supervise \(identifier(service.name)) \(service.restartSeconds) &")
        }
        lines += [
            "# wait returns early when a signal arrives; then wait for the loops to end (tini signalled the agents too).",
            "while [ -z \"$stopping\" ]; do wait; [ $? -gt 128 ] || break; done",
            "wait",
            "echo \"lab-init: stopped\" >&2",
            "exit 0",
        ]
        return lines.joined(separator: "\n") + "\n"
    }

    /// A unit name as a shell function name (`lab-terminal` → `lab_terminal`).
    static func identifier(_ name: String) -> String {
        String(name.map { $0.isLetter || $0.isNumber ? $0 : "_" })
    }
}
