// A registry credential and where it came from; never printed, logged or reflected.

/// What to authenticate with. Descriptions, debug output and reflection never show the secret.
public enum Credential: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// A user name and password (or personal access token) for basic auth and token requests.
    case basic(username: String, password: String)
    /// An OAuth2 refresh token (docker `identitytoken`, helper user `<token>`) for the bearer-token flow.
    case identityToken(username: String?, token: String)
    /// A ready bearer token (docker `registrytoken`).
    case registryToken(String)

    public var description: String {
        switch self {
        case .basic(let username, _): return "password of user \(username)"
        case .identityToken(let username, _): return "identity token" + (username.map { " of user \($0)" } ?? "")
        case .registryToken: return "registry token"
        }
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror { Mirror(self, children: ["kind": description]) }
}

/// A credential together with a human name of its source, e.g. `/root/.docker/config.json` or
/// `credential helper docker-credential-pass`, for error messages.
public struct ResolvedCredential: Sendable, Equatable, CustomStringConvertible {
    /// The credential.
    public var credential: Credential
    /// Where it came from.
    public var source: String

    /// Creates a resolved credential.
    /// - Parameters:
    ///   - credential: The credential.
    ///   - source: Where it came from.
    public init(credential: Credential, source: String) {
        self.credential = credential
        self.source = source
    }

    public var description: String { "\(credential) from \(source)" }
}
