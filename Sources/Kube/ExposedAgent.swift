// A browser agent an image serves (web terminal, web desktop): port and the paths it was built with.

/// The kinds of browser agent.
public enum AgentKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// A web terminal (ttyd).
    case terminal
    /// A web desktop (noVNC + websockify).
    case desktop

    /// The port ttyd / websockify listen on by default.
    public var defaultPort: Int { self == .terminal ? 7681 : 6080 }

    /// The WebSocket path the client opens, relative to the agent's base path.
    public var defaultWebsocketPath: String { self == .terminal ? "ws" : "websockify" }

    /// The page to open, relative to the agent's base path.
    public var defaultEntryPage: String { self == .terminal ? "" : "vnc.html" }
}

/// One agent: what it is, where it listens, and the paths it was built with.
public struct ExposedAgent: Sendable, Hashable, Codable {
    /// Terminal or desktop; also the port's name in the VM, the Service and the routes.
    public var kind: AgentKind
    /// TCP port inside the guest.
    public var port: Int
    /// The base path the agent serves under, as built (ttyd `--base-path`; `/` for none). Routes
    /// rewrite the public prefix to it.
    public var basePath: String
    /// The WebSocket path relative to the base path (ttyd: `ws`; noVNC's `path`: `websockify`).
    public var websocketPath: String
    /// The page to open relative to the base path (`vnc.html` for noVNC, empty for ttyd).
    public var entryPage: String
    /// How it authenticates (the recipe's auth mode name, e.g. `boot-credential`); nil when not known (`--agent`).
    public var auth: String?
    /// The header a `proxy-header` agent trusts as the user's identity (ttyd `--auth-header`); nil when not known.
    public var authHeader: String?

    /// Whether the agent trusts a proxy's identity header instead of checking a credential itself.
    public var trustsProxyHeader: Bool { auth == "proxy-header" }

    /// Creates an agent.
    /// - Parameters:
    ///   - kind: Terminal or desktop.
    ///   - port: Guest port (defaults: 7681 terminal, 6080 desktop).
    ///   - basePath: Base path it was built with.
    ///   - websocketPath: WebSocket path relative to the base path.
    ///   - entryPage: Page to open.
    ///   - auth: Its auth mode's name, when known.
    ///   - authHeader: The identity header a `proxy-header` agent trusts, when known.
    public init(
        kind: AgentKind, port: Int? = nil, basePath: String = "/", websocketPath: String? = nil, entryPage: String? = nil, auth: String? = nil,
        authHeader: String? = nil
    ) {
        self.auth = auth
        self.authHeader = authHeader
        self.kind = kind
        self.port = port ?? kind.defaultPort
        self.basePath = ExposedAgent.normalized(basePath)
        self.websocketPath = websocketPath ?? kind.defaultWebsocketPath
        self.entryPage = entryPage ?? kind.defaultEntryPage
    }

    /// Parses `terminal`, `terminal:7681`, `desktop:6080:/base/` (kind, port, base path).
    /// - Parameter text: The CLI form.
    /// - Throws: ``KubeError/invalidAgent(_:)``.
    public init(parsing text: String) throws {
        let parts = text.split(separator: ":", maxSplits: 2).map(String.init)
        guard let first = parts.first, let kind = AgentKind(rawValue: first) else {
            throw KubeError.invalidAgent("'\(text)': expected terminal[:PORT[:BASEPATH]] or desktop[:PORT[:BASEPATH]]")
        }
        var port: Int?
        if parts.count > 1 {
            guard let value = Int(parts[1]) else { throw KubeError.invalidAgent("'\(text)': port '\(parts[1])' is not a number") }
            port = value
        }
        self.init(kind: kind, port: port, basePath: parts.count > 2 ? parts[2] : "/")
        try validate()
    }

    /// Checks port and paths.
    /// - Throws: ``KubeError/invalidAgent(_:)``.
    public func validate() throws {
        guard (1...65535).contains(port) else { throw KubeError.invalidAgent("\(kind.rawValue) port \(port) is outside 1–65535") }
        let pathOK: (String) -> Bool = { $0.allSatisfy { $0.isASCII && !$0.isWhitespace && !"?#\"'\\".contains($0) } }
        guard basePath.hasPrefix("/"), pathOK(basePath) else {
            throw KubeError.invalidAgent("\(kind.rawValue) base path '\(basePath)' must start with / and hold no spaces, quotes, ? or #")
        }
        guard !websocketPath.hasPrefix("/"), pathOK(websocketPath), pathOK(entryPage) else {
            throw KubeError.invalidAgent("\(kind.rawValue) websocket path '\(websocketPath)' must be relative to the base path")
        }
    }

    /// `/x/y/` form: leading and trailing slash.
    static func normalized(_ path: String) -> String {
        var result = path.hasPrefix("/") ? path : "/" + path
        if !result.hasSuffix("/") { result += "/" }
        return result
    }
}
