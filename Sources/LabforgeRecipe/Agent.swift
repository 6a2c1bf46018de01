// Agents: services an image runs for the lab portal, with the ports and probes later stages read.

/// A TCP port an agent listens on inside the guest.
public struct AgentPort: Sendable, Hashable, Codable {
    /// What speaks on the port.
    public enum PortProtocol: String, Sendable, Hashable, Codable {
        /// HTTP (and WebSocket upgrades).
        case http
        /// Plain TCP.
        case tcp
    }

    /// A short name, used for Kubernetes Service ports (`terminal`, `desktop`).
    public var name: String
    /// The port number.
    public var port: Int
    /// What speaks on it.
    public var `protocol`: PortProtocol
    /// The HTTP path a browser opens, when `protocol` is HTTP.
    public var path: String?

    /// Creates a port declaration.
    /// - Parameters:
    ///   - name: Short name.
    ///   - port: Port number.
    ///   - protocol: HTTP or TCP.
    ///   - path: HTTP path a browser opens.
    public init(name: String, port: Int, protocol: PortProtocol, path: String? = nil) {
        self.name = name
        self.port = port
        self.protocol = `protocol`
        self.path = path
    }
}

/// How a booted VM proves an agent works.
public enum Probe: Sendable, Hashable, Codable {
    /// ttyd: WebSocket `GET <path>ws` with subprotocol `tty`, then terminal output.
    case ttydWebSocket(port: Int, path: String)
    /// websockify: WebSocket `GET <path>websockify` with subprotocol `binary`, first frame `RFB 003.00x`.
    case rfbViaWebsockify(port: Int, path: String)
    /// An HTTP GET answered with 200 and a body containing `contains`.
    case httpPage(port: Int, path: String, contains: String)
    /// The SSH server banner `SSH-2.0-`.
    case sshBanner(port: Int)
    /// The QEMU guest agent answers `guest-ping`.
    case guestAgentPing
    /// cloud-init finished (`/run/cloud-init/result.json` without errors, read over the guest agent or serial).
    case cloudInitDone
}

/// An agent in a recipe.
public enum Agent: Sendable, Hashable, Codable {
    /// cloud-init, so KubeVirt's NoCloud/ConfigDrive data configures the VM.
    case cloudInit(CloudInit)
    /// A browser terminal (ttyd).
    case webTerminal(WebTerminal)
    /// A browser desktop (VNC server + noVNC over websockify).
    case webDesktop(WebDesktop)

    /// The agent's kind, as shown in plans and errors.
    public var kind: String {
        switch self {
        case .cloudInit: return "CloudInit"
        case .webTerminal: return "WebTerminal"
        case .webDesktop: return "WebDesktop"
        }
    }

    /// Ports it listens on.
    public var ports: [AgentPort] {
        switch self {
        case .cloudInit: return []
        case .webTerminal(let agent): return agent.ports
        case .webDesktop(let agent): return agent.ports
        }
    }

    /// Probes that prove it works.
    public var probes: [Probe] {
        switch self {
        case .cloudInit(let agent): return agent.guestAgent ? [.cloudInitDone, .guestAgentPing] : [.cloudInitDone]
        case .webTerminal(let agent): return agent.probes
        case .webDesktop(let agent): return agent.probes
        }
    }

    /// Users its services run as (must exist: created by the recipe, or `root`).
    public var users: [String] {
        switch self {
        case .cloudInit: return []
        case .webTerminal(let agent): return [agent.user]
        case .webDesktop(let agent): return [agent.user]
        }
    }

    /// The steps that install and configure it.
    public var steps: [Step] {
        switch self {
        case .cloudInit(let agent): return agent.steps
        case .webTerminal(let agent): return agent.steps
        case .webDesktop(let agent): return agent.steps
        }
    }

    /// Guest paths its steps write, for validation.
    var guestPaths: [String] { steps.flatMap(\.guestPaths) }
}

extension Step {
    /// Absolute guest paths the step names (for validation).
    var guestPaths: [String] {
        switch self {
        case .writeFile(let path, _, _, _), .makeDirectory(let path, _, _), .delete(let path): return [path]
        case .upload(_, let destination, _): return [destination]
        case .symlink(_, let path): return [path]
        case .extractPackageFiles(_, let path): return [path]
        case .createUser(let user): return [user.shell]
        default: return []
        }
    }
}
