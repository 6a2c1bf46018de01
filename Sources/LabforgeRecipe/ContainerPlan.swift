// What each step of a recipe means in a pod lab's container image: applied to the root tree, run by the supervisor, skipped, or refused.

/// A recipe's plan read for the container target.
///
/// - Packages, files, directories, links, deletions, scripts, users, time zone and locale apply to the root tree.
/// - The agents' systemd units become ``SupervisedService``s of the image's supervisor (``LabSupervisor``), run
///   under `tini`; their unit files are not written (there is no systemd in the container).
/// - cloud-init, the boot credentials unit, disk growth, the hostname and unit disable/mask steps are skipped,
///   each with a reason the build log shows: the pod's manifest and runtime do their job.
/// - A first-boot script, enabling a unit that is not an agent's, a base that is not a Debian bootstrap, agents
///   running as different users and a user with privilege escalation are refused (``ContainerPlanError``).
public struct ContainerPlan: Sendable {
    /// What happens to one planned step.
    public enum Action: Sendable, Hashable {
        /// Applied to the root tree on the host.
        case apply
        /// Not applied; the reason is logged.
        case skip(reason: String)
        /// An agent's unit: run by the supervisor.
        case service(SupervisedService)
    }

    /// One step and its action.
    public struct Entry: Sendable, Hashable {
        /// The planned step (numbered as in the VM plan, so logs of both targets line up).
        public var planned: PlannedStep
        /// What the container build does with it.
        public var action: Action
    }

    /// Every step of ``Recipe/plan``, in order.
    public var entries: [Entry]
    /// The user every agent runs as: the image's `USER`.
    public var labUser: String
    /// The Debian suite of the root tree.
    public var suite: String
    /// Ports the agents listen on (the image's `ExposedPorts`).
    public var ports: [AgentPort]

    /// The services, in plan order.
    public var services: [SupervisedService] {
        entries.compactMap { if case .service(let service) = $0.action { return service } else { return nil } }
    }

    /// The steps applied to the root tree.
    public var applied: [PlannedStep] {
        entries.compactMap { $0.action == .apply ? $0.planned : nil }
    }

    /// Reads `recipe` for the container target.
    /// - Parameter recipe: A validated recipe.
    /// - Throws: ``ContainerPlanError`` naming the recipe and the step or agent that cannot apply.
    public init(recipe: Recipe) throws(ContainerPlanError) {
        guard case .debianBootstrap(let bootstrap) = recipe.base else {
            throw .baseNotBootstrap(recipe: recipe.name, base: "\(recipe.base)")
        }
        suite = bootstrap.suite
        ports = recipe.ports
        let agentUsers = recipe.agents.flatMap(\.users).filter { $0 != "root" }
        guard let user = agentUsers.first else { throw .noAgent(recipe: recipe.name) }
        if let other = agentUsers.first(where: { $0 != user }) {
            throw .agentsDisagreeOnUser(recipe: recipe.name, users: [user, other])
        }
        labUser = user
        var agentUnits: [String: SystemdUnit] = [:]
        for agent in recipe.agents {
            switch agent {
            case .webTerminal(let terminal):
                if terminal.allowPrivilegeEscalation { throw .privilegeEscalation(recipe: recipe.name, agent: agent.kind) }
                agentUnits[terminal.unit.name] = terminal.unit
            case .webDesktop(let desktop):
                if desktop.allowPrivilegeEscalation { throw .privilegeEscalation(recipe: recipe.name, agent: agent.kind) }
                for unit in desktop.units { agentUnits[unit.name] = unit }
            case .cloudInit:
                continue
            }
        }
        var entries: [Entry] = []
        for planned in recipe.plan {
            entries.append(Entry(planned: planned, action: try Self.action(for: planned, recipe: recipe.name, agentUnits: agentUnits)))
        }
        self.entries = entries
    }

    private static func action(for planned: PlannedStep, recipe: String, agentUnits: [String: SystemdUnit]) throws(ContainerPlanError) -> Action {
        if case .agent(let kind) = planned.origin {
            switch kind {
            case "CloudInit":
                return .skip(reason: "cloud-init: a pod is configured by its manifest, not by NoCloud data")
            case "BootCredentials":
                return .skip(reason: "the pod mounts the credentials Secret at \(BootCredentials.runtimeDirectory) itself")
            default:
                break
            }
        }
        switch planned.step {
        case .growRoot:
            return .skip(reason: "a container image has no disk to grow")
        case .hostname:
            return .skip(reason: "the container runtime sets the hostname")
        case .firstBoot(let name, _):
            throw .cannotApply(recipe: recipe, step: planned.number, title: planned.step.title,
                               reason: "a container has no first boot; run it as a build step, or in the agent's start script (first-boot command \(name))")
        case .unit(let name, let action):
            switch action {
            case .enable:
                if let unit = agentUnits[name] { return .service(SupervisedService(unit: unit)) }
                throw .cannotApply(recipe: recipe, step: planned.number, title: planned.step.title,
                                   reason: "no systemd runs in a container; only the agents' services are started (by the supervisor)")
            case .disable, .mask:
                return .skip(reason: "no systemd runs in a container: nothing would start \(name)")
            }
        case .writeFile(let path, _, _, _) where path.hasPrefix("/etc/systemd/") && planned.origin != .recipe:
            return .skip(reason: "unit file: the supervisor runs the agent instead")
        default:
            return .apply
        }
    }
}

/// Why a recipe cannot be built as a container image.
public enum ContainerPlanError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The base is a disk image (downloaded or local), not a Debian bootstrap.
    case baseNotBootstrap(recipe: String, base: String)
    /// The recipe has no agent that serves a lab user.
    case noAgent(recipe: String)
    /// Agents run as different users; a container runs as one.
    case agentsDisagreeOnUser(recipe: String, users: [String])
    /// An agent asks for privilege escalation, which a pod lab forbids.
    case privilegeEscalation(recipe: String, agent: String)
    /// A step that has no meaning in a container.
    case cannotApply(recipe: String, step: Int, title: String, reason: String)

    public var description: String {
        switch self {
        case .baseNotBootstrap(let recipe, let base):
            return "recipe \(recipe): a container image is built from a labforge Debian bootstrap (the default base), not from the disk image \(base); drop `base:` or build the VM target only"
        case .noAgent(let recipe):
            return "recipe \(recipe): a container image needs an agent (WebTerminal or WebDesktop) to run; there is none"
        case .agentsDisagreeOnUser(let recipe, let users):
            return "recipe \(recipe): the agents run as \(users.joined(separator: " and ")); a container image runs as one user: give them the same `user:`"
        case .privilegeEscalation(let recipe, let agent):
            return "recipe \(recipe): \(agent) has allowPrivilegeEscalation (sudo); a pod lab runs with allowPrivilegeEscalation false and no setuid binaries: build the VM target for it"
        case .cannotApply(let recipe, let step, let title, let reason):
            return "recipe \(recipe), step \(step) (\(title)): cannot apply to a container image: \(reason)"
        }
    }
}
