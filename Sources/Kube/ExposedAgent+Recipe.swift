// A recipe's declared agent ports as the agents the manifests and the catalog expose.
import LabforgeRecipe

extension ExposedAgent {
    /// The browser-facing agents of `recipe` (its web terminal and web desktop), with their ports and paths.
    /// - Parameter recipe: The recipe.
    /// - Returns: One agent per HTTP port named `terminal` or `desktop`, in recipe order.
    public static func agents(of recipe: Recipe) -> [ExposedAgent] {
        var terminalAuth: String?
        var terminalHeader: String?
        var desktopAuth: String?
        for agent in recipe.agents {
            if case .webTerminal(let terminal) = agent {
                terminalAuth = terminal.auth.name
                if case .proxyHeader(let header) = terminal.auth { terminalHeader = header }
            }
            if case .webDesktop(let desktop) = agent { desktopAuth = desktop.auth.name }
        }
        return recipe.ports.compactMap { port -> ExposedAgent? in
            guard port.protocol == .http, let kind = AgentKind(rawValue: port.name) else { return nil }
            switch kind {
            case .terminal:
                return ExposedAgent(kind: .terminal, port: port.port, basePath: port.path ?? "/", auth: terminalAuth, authHeader: terminalHeader)
            case .desktop:
                let page = String((port.path ?? "/vnc.html").drop { $0 == "/" })
                return ExposedAgent(kind: .desktop, port: port.port, basePath: "/", entryPage: page, auth: desktopAuth)
            }
        }
    }
}
