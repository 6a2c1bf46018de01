// How a route proves who is asking before a request reaches a lab VM: TLS, authentication, or an explicit opt-out.

/// How the routes make sure a person is logged in before a request reaches a lab VM.
public enum RouteAuthentication: Sendable, Hashable, Codable {
    /// ingress-nginx external auth (`--routing ingress` only): every request is first sent to `url` (e.g. oauth2-proxy's
    /// `/oauth2/auth`); a 401 sends the browser to `signin`; `responseHeader` of the auth answer is passed on to the VM.
    /// `{id}` and `{identity}` in `url` become each seat's id and identity name, URL-encoded. The contract for the auth
    /// service: answer 2xx only when the logged-in user is the identity the URL names (oauth2-proxy:
    /// `?allowed_emails={identity}`), so the route of `/bob/…` admits only bob.
    case external(url: String, signin: String, responseHeader: String)
    /// A proxy in front of the Gateway (or ingress) authenticates every request and sets this header to the user's
    /// name, dropping any copy the client sent (ttyd's `--auth-header` mode). Each seat's HTTPRoute matches the header
    /// exactly against the seat's identity.
    case proxyHeader(String)
    /// The Gateway API's `ExternalAuth` filter (`--routing httproute`; Extended support, experimental channel CRDs):
    /// the Gateway asks `service` over HTTP for `/allowed/<identity>/<the request's path>` before each request. The
    /// contract for the auth service: answer 2xx only when the logged-in user is `<identity>` (percent-encoded).
    /// `responseHeader` of its answer is copied into the request to the VM.
    case gatewayExternalAuth(service: AuthService, responseHeader: String?)
}

/// The Service an `ExternalAuth` filter asks: `NAMESPACE/NAME:PORT`.
public struct AuthService: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Its namespace, or nil for the route's.
    public var namespace: String?
    /// Its name.
    public var name: String
    /// Its port.
    public var port: Int

    /// Parses `NAMESPACE/NAME:PORT` or `NAME:PORT`.
    /// - Parameter text: The option's value.
    /// - Throws: ``KubeError/invalidSetting(name:value:reason:)``.
    public init(parsing text: String) throws {
        let invalid = KubeError.invalidSetting(name: "--auth-service", value: text, reason: "expected NAMESPACE/NAME:PORT, e.g. auth/labs-auth:8080")
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (1...65535).contains(port) else { throw invalid }
        let parts = text[..<colon].split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard (1...2).contains(parts.count), parts.allSatisfy(KubernetesName.isLabel) else { throw invalid }
        namespace = parts.count == 2 ? parts[0] : nil
        name = parts[parts.count - 1]
        self.port = port
    }

    /// `NAMESPACE/NAME:PORT`.
    public var description: String { (namespace.map { "\($0)/" } ?? "") + "\(name):\(port)" }
}

/// TLS and authentication of the routes of every command that writes manifests (`build`, `manifests`, `class`).
public struct RouteProtection: Sendable, Hashable, Codable {
    /// The `kubernetes.io/tls` Secret of the host (Ingress only; it must exist in every namespace holding routes).
    public var tlsSecret: String?
    /// How users are authenticated.
    public var authentication: RouteAuthentication?
    /// Write routes even without TLS or authentication (`--public-routes`); a warning says what is missing.
    public var allowUnprotected: Bool

    /// Creates route protection settings.
    /// - Parameters:
    ///   - tlsSecret: TLS Secret, or nil.
    ///   - authentication: Authentication, or nil.
    ///   - allowUnprotected: Accept routes without TLS or authentication.
    public init(tlsSecret: String? = nil, authentication: RouteAuthentication? = nil, allowUnprotected: Bool = false) {
        self.tlsSecret = tlsSecret
        self.authentication = authentication
        self.allowUnprotected = allowUnprotected
    }

    /// The identity header the route sets or matches: the proxy's header, or the auth answer's header passed on.
    public var identityHeader: String? {
        switch authentication {
        case .external(_, _, let header): return header
        case .proxyHeader(let header): return header
        case .gatewayExternalAuth(_, let header): return header
        case nil: return nil
        }
    }
}
