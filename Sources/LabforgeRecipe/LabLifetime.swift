// How long a lab VM runs: a power-off after a while with no session, a power-off at a time limit, warnings before.

/// When a lab powers itself off, enforced in the guest by `lab-idle.service` (root):
///
/// ```swift
/// LabLifetime(idleStop: .minutes(30), timeLimit: .hours(4), warning: .minutes(5))
/// ```
///
/// Every ``checkIntervalSeconds`` it counts *real sessions*: established TCP connections to the agents' ports (the
/// recipe's terminal and desktop ports, and SSH's 22) with `ss -Htn state established`. With none for ``idleStop``,
/// or once the uptime passes ``timeLimit``, it runs a clean `systemctl poweroff`; ``warning`` before, it writes a notice
/// to the lab user's terminals (ttyd's shells are not in utmp, so not `wall`) and, with a desktop, shows `xmessage` on
/// its display. It keeps ``statePath`` up to date (see ``LabIdleScript/stateShape``). Manifests of a recipe with a
/// lifetime use a run strategy under which that power-off leaves the VM stopped.
public struct LabLifetime: RecipeComponent, Sendable, Hashable, Codable {
    /// Power off after this long with no session (`nil`: never for idleness). At least a minute.
    public var idleStop: Duration?
    /// Power off once the VM has been up this long (`nil`: no limit). At least a minute.
    public var timeLimit: Duration?
    /// How long before a stop the warnings go out (shorter than each window).
    public var warning: Duration
    /// Ports counted besides the agents' (SSH's 22 by default).
    public var extraPorts: [Int]

    /// The root service that enforces it.
    public static let unitName = "lab-idle.service"
    /// Its script.
    public static let scriptPath = "\(BootCredentials.scriptDirectory)/lab-idle"
    /// The state the teacher and `labforge verify` read.
    public static let statePath = "/run/lab/idle.json"
    /// A root-owned file of `idle_stop=N`, `time_limit=N`, `warning=N` lines (seconds) that replaces the built-in
    /// windows of a running lab while it exists (see ``LabIdleScript``): `labforge verify` shortens the idle window
    /// with it; a teacher can shorten or lengthen a lab the same way over the guest agent.
    public static let overridePath = "/run/lab/idle-override"
    /// Seconds between two counts.
    public static let checkIntervalSeconds = 10
    /// The shortest window the guest enforces (``checkIntervalSeconds`` resolution makes shorter ones meaningless).
    public static let minimumWindow = Duration.seconds(60)

    /// Creates a lifetime.
    /// - Parameters:
    ///   - idleStop: Power off after this long with no session.
    ///   - timeLimit: Power off after this long up.
    ///   - warning: Warn this long before either stop (5 minutes by default).
    ///   - extraPorts: Other ports whose connections count as sessions (`[22]`).
    public init(idleStop: Duration? = nil, timeLimit: Duration? = nil, warning: Duration = .minutes(5), extraPorts: [Int] = [22]) {
        self.idleStop = idleStop
        self.timeLimit = timeLimit
        self.warning = warning
        self.extraPorts = extraPorts
    }

    public var items: [RecipeItem] { [.lifetime(self)] }

    /// Whole seconds of a duration (what the guest script counts in).
    /// - Parameter duration: A duration.
    /// - Returns: Its seconds, rounded down.
    public static func seconds(_ duration: Duration) -> Int { Int(duration.components.seconds) }

    /// The script for `recipe`'s agents: their ports, the lab user, the desktop's display.
    /// - Parameter recipe: The recipe it belongs to.
    /// - Returns: The idle script.
    public func script(for recipe: Recipe) -> LabIdleScript {
        var user = "root"
        var display: Int?
        for agent in recipe.agents {
            switch agent {
            case .webTerminal(let terminal) where user == "root": user = terminal.user
            case .webDesktop(let desktop):
                display = desktop.display
                if user == "root" { user = desktop.user }
            default: break
            }
        }
        var ports: [Int] = []
        for port in recipe.ports.map(\.port) + extraPorts where !ports.contains(port) { ports.append(port) }
        return LabIdleScript(
            idleStopSeconds: idleStop.map(Self.seconds) ?? 0, timeLimitSeconds: timeLimit.map(Self.seconds) ?? 0,
            warningSeconds: Self.seconds(warning), ports: ports, user: user, display: display,
            intervalSeconds: Self.checkIntervalSeconds
        )
    }

    /// The steps for `recipe`: iproute2 (`ss`), x11-utils (`xmessage`) with a desktop, the script and its unit.
    /// - Parameter recipe: The recipe it belongs to.
    /// - Returns: The steps.
    public func steps(for recipe: Recipe) -> [Step] {
        let script = script(for: recipe)
        let packages = ["iproute2"] + (script.display == nil ? [] : ["x11-utils"])
        let unit = SystemdUnit(
            name: Self.unitName,
            unit: [("Description", "labforge: power off after a while with no session, or at the lab's time limit"), ("After", "network.target")],
            service: [("Type", "simple"), ("ExecStart", Self.scriptPath), ("Restart", "on-failure"), ("RestartSec", "5")],
            hardening: .system
        )
        return [
            .install(packages.map { PackageRequest($0) }),
            .makeDirectory(path: BootCredentials.scriptDirectory, mode: 0o755, owner: .root),
            .writeFile(path: Self.scriptPath, contents: script.text, mode: 0o755, owner: .root),
        ] + unit.steps
    }
}

extension Duration {
    /// `minutes` minutes.
    /// - Parameter minutes: Whole minutes.
    /// - Returns: The duration.
    public static func minutes(_ minutes: Int) -> Duration { .seconds(minutes * 60) }

    /// `hours` hours.
    /// - Parameter hours: Whole hours.
    /// - Returns: The duration.
    public static func hours(_ hours: Int) -> Duration { .seconds(hours * 3600) }
}
