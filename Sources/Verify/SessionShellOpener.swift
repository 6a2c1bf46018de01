// Where the desktop proofs get a shell in the lab session: the web terminal's, over ttyd's WebSocket.

/// Opens a shell in the lab session for the length of one proof.
protocol SessionShellOpener: Sendable {
    /// Opens a shell, runs `body` with it, closes it.
    /// - Parameter body: What to run in the shell.
    /// - Returns: What `body` returns.
    /// - Throws: ``ProbeFailure`` when no shell could be opened; what `body` throws.
    func withShell<T: Sendable>(_ body: (any SessionShell) async throws -> T) async throws -> T
}

/// The web terminal's shell: ttyd's `tty` WebSocket with the terminal's authentication (the same user as the
/// desktop in labforge's recipes, so the X cookie in its `~/.Xauthority` opens the display).
struct TtydShellOpener: SessionShellOpener {
    /// ttyd's host port.
    let port: Int
    /// Its WebSocket path (`ws`).
    let path: String
    /// The headers and auth token of ``ProbeAttempts/terminalLogin(_:credentials:)``.
    let headers: [(String, String)]
    let token: String

    /// A shell through the web terminal `target` with the plan's terminal authentication.
    /// - Parameters:
    ///   - hostPort: The host port forwarded to ttyd's.
    ///   - path: ttyd's WebSocket path.
    ///   - access: How the terminal authenticates.
    ///   - credentials: The credentials given at boot.
    /// - Throws: ``FinalFailure`` when the terminal needs a credential the verification does not have.
    init(hostPort: Int, path: String, access: AgentAccess.Terminal, credentials: TestCredentials?) throws {
        port = hostPort
        self.path = path
        (headers, token) = try ProbeAttempts.terminalLogin(access, credentials: credentials)
    }

    func withShell<T: Sendable>(_ body: (any SessionShell) async throws -> T) async throws -> T {
        switch try await ProbeAttempts.withTtyd(port: port, path: path, headers: headers, token: token, { try await body(TtydShell(connection: $0)) }) {
        case .refused(let status):
            throw ProbeFailure("the web terminal refused its WebSocket at /\(path)\(status > 0 ? " (HTTP \(status))" : ""): no shell in the session")
        case .opened(let result):
            return result
        }
    }
}
