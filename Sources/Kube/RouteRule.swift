// The one rule every command that writes manifests follows (build, manifests, class): which routes, how protected, for whom.

/// Decides whether routes are written and refuses what would be unsafe: routes only with TLS and authentication
/// (or `--public-routes`, which warns), HTTPRoutes only with a Gateway, per-seat identity enforced at the route, agents
/// that trust a proxy's header only behind such routes. ``ManifestSet`` and the Classroom module's `ClassManifests` both build one; the
/// NetworkPolicy, the Service, the routes and the RoleBinding follow what it says.
public struct RouteRule: Sendable, Hashable {
    /// Who the routes are for.
    public enum Audience: Sendable {
        /// One session (`build`, `manifests`): the identity of `--access-user`, if any.
        case session(AccessSubject?)
        /// A class roster: each seat's route admits only that seat's identity.
        case seats([any Seat])
        /// An anonymous pool: no identities, so nothing per seat to enforce.
        case pool
    }

    /// A seat whose route admits one identity alone (the Classroom module's `Student` is one).
    public protocol Seat: Sendable {
        /// The seat id, which names the seat's objects and paths.
        var id: String { get }
        /// The one identity the seat's route admits.
        var subject: AccessSubject { get }
        /// Where the seat was declared (`roster.txt:3`, `--student #2`), named in errors; nil when unknown.
        var origin: String? { get }
    }

    /// Whether a Service and routes are written.
    public let writesRoutes: Bool
    /// The namespace whose pods the NetworkPolicy lets reach the agents (only meaningful when routes are written).
    public let proxyNamespace: String
    /// Unsafe choices that were accepted (`--public-routes`), for standard error.
    public let warnings: [String]
    /// What was left out and why (no routes, no RoleBinding), for the user.
    public let notes: [String]

    /// Applies the rule.
    /// - Parameters:
    ///   - image: The image (its agents, and whether one trusts a proxy header).
    ///   - settings: Routing kind, host, Gateway, protection, access identity.
    ///   - audience: The session's identity, the roster or a pool.
    /// - Throws: ``KubeError`` naming the option (or the seat and where it was declared) at fault and the fix.
    public init(image: ImageDescription, settings: ManifestSettings, audience: Audience) throws {
        let routes = settings.routes
        let agents = image.agents
        let headerAgents = agents.filter(\.trustsProxyHeader)
        writesRoutes = !agents.isEmpty && (settings.host != nil || routes.allowUnprotected)
        proxyNamespace = settings.resolvedProxyNamespace ?? ""
        var notes: [String] = []
        if case .session(nil) = audience {
            notes.append("no RoleBinding: no identity was given (pass --access-user user:NAME, group:NAME or serviceaccount:NAMESPACE:NAME to grant console/VNC/start/stop)")
        }
        guard writesRoutes else {
            if routes.tlsSecret != nil || routes.authentication != nil {
                let reason = agents.isEmpty ? "the image serves no agent, so there are no routes" : "routes are written only with --host"
                throw KubeError.invalidSetting(name: "--tls-secret/--auth-*", value: "given", reason: reason)
            }
            if !agents.isEmpty {
                let trusting = headerAgents.isEmpty ? "" : " (the \(headerAgents.map(\.kind.rawValue).joined(separator: ", ")) agent trusts a proxy header: without a route nothing can send it)"
                notes.append("no Service and no routes (no --host): the NetworkPolicy lets nothing connect to the agents\(trusting); "
                    + "pass --host with --gateway NAMESPACE/NAME and --auth-header NAME to write protected routes")
            }
            self.warnings = []
            self.notes = notes
            return
        }
        if let tlsSecret = routes.tlsSecret { try KubernetesName.checkLabel(tlsSecret, kind: "TLS Secret") }
        if settings.routing == .httproute, settings.gatewayName != nil, settings.resolvedProxyNamespace == nil {
            throw KubeError.invalidSetting(
                name: "--proxy-namespace", value: "(none)",
                reason: "the NetworkPolicy must name the namespace of the Gateway's proxy pods: give --gateway NAMESPACE/NAME, --namespace, or --proxy-namespace")
        }
        var missing: [String] = []
        switch settings.routing {
        case .ingress:
            if routes.tlsSecret == nil { missing.append("without TLS (--tls-secret NAME)") }
            if routes.tlsSecret != nil, settings.host == nil {
                throw KubeError.invalidSetting(name: "--tls-secret", value: routes.tlsSecret ?? "", reason: "TLS needs --host")
            }
            if routes.authentication == nil { missing.append("without authentication (--auth-url with {identity} and --auth-signin)") }
            if case .gatewayExternalAuth = routes.authentication {
                throw KubeError.invalidSetting(
                    name: "--auth-service", value: "given",
                    reason: "it writes the Gateway API's ExternalAuth filter, which an Ingress has not; with --routing ingress use --auth-url and --auth-signin")
            }
        case .httproute:
            guard settings.gatewayName != nil else {
                throw KubeError.invalidSetting(
                    name: "--gateway", value: "(none)",
                    reason: "HTTPRoutes (--routing httproute, the default) attach to a Gateway: name it with --gateway NAMESPACE/NAME "
                        + "(its HTTPS listener terminates TLS for --host), or leave out --host to write no routes")
            }
            if routes.tlsSecret != nil {
                throw KubeError.invalidSetting(
                    name: "--tls-secret", value: routes.tlsSecret ?? "",
                    reason: "an HTTPRoute gets TLS from its Gateway's HTTPS listener; drop --tls-secret")
            }
            if case .external = routes.authentication {
                throw KubeError.invalidSetting(
                    name: "--auth-url", value: "given",
                    reason: "external auth annotations are ingress-nginx's; with --routing httproute put an authenticating proxy in front of the Gateway and pass --auth-header NAME (or --auth-service for the Gateway API's ExternalAuth filter)")
            }
            if routes.authentication == nil {
                missing.append("without authentication (--auth-header NAME set by a proxy in front of the Gateway, or --auth-service NAMESPACE/NAME:PORT)")
            }
        }
        try Self.checkAuthentication(routes.authentication, routing: settings.routing, audience: audience)
        try Self.checkHeaderAgents(headerAgents, routes: routes, routing: settings.routing, audience: audience)
        if missing.isEmpty {
            warnings = []
        } else {
            guard routes.allowUnprotected else { throw KubeError.unprotectedRoutes(missing: missing) }
            warnings = ["--public-routes: the routes are served \(missing.joined(separator: " and ")); only the agents' per-VM credentials protect the VMs"]
        }
        if case .session(nil) = audience, routes.authentication != nil {
            notes.append("the routes admit any user the authentication admits (no --access-user to match)")
        }
        self.notes = notes
    }

    /// Checks the authentication's options, and that it can admit only each seat's identity.
    static func checkAuthentication(_ authentication: RouteAuthentication?, routing: RoutingKind, audience: Audience) throws {
        switch authentication {
        case .external(let url, let signin, let header):
            for (name, value) in [("--auth-url", url), ("--auth-signin", signin)] where !(value.hasPrefix("https://") || value.hasPrefix("http://")) {
                throw KubeError.invalidSetting(name: name, value: value, reason: "expected an http:// or https:// URL")
            }
            try checkHeaderName(header)
            let names = url.contains("{identity}")
            switch audience {
            case .pool where names:
                throw KubeError.invalidSetting(name: "--auth-url", value: url, reason: "a pool has no identities; {identity} cannot be filled")
            case .seats where !names, .session(.some) where !names:
                throw KubeError.invalidSetting(
                    name: "--auth-url", value: url,
                    reason: "the auth URL does not name the seat's identity, so any logged-in user would reach every VM; add {identity} "
                        + "(e.g. ?allowed_emails={identity} for oauth2-proxy, or ?allowed={identity}: the auth service answers 2xx only for that user)")
            case .session(nil) where names:
                throw KubeError.invalidSetting(name: "--auth-url", value: url, reason: "{identity} needs --access-user to fill it")
            default:
                break
            }
        case .proxyHeader(let header):
            try checkHeaderName(header)
            switch (routing, audience) {
            case (.ingress, .seats), (.ingress, .session(.some)):
                throw KubeError.invalidSetting(
                    name: "--auth-header", value: header,
                    reason: "an Ingress cannot match the identity header, so any user the proxy admits would reach every VM; use "
                        + "--routing httproute (each seat's route matches \(header) exactly) or --auth-url with {identity}")
            case (.httproute, .seats(let seats)):
                for seat in seats where !isHeaderValue(seat.subject.name) {
                    throw KubeError.seatIdentity(
                        seat: seat.id, origin: seat.origin,
                        reason: "identity '\(seat.subject)' holds characters an HTTP header value cannot carry "
                            + "(the route matches \(header) against it); use the ASCII user name the proxy sends")
                }
                for seat in seats where seat.subject.kind != .user {
                    throw KubeError.seatIdentity(
                        seat: seat.id, origin: seat.origin,
                        reason: "identity '\(seat.subject)' is not a user, and the route admits the one user "
                            + "name the proxy puts in \(header); write user:NAME (or use --routing ingress with --auth-url and {identity})")
                }
            case (.httproute, .session(let subject?)) where subject.kind != .user || !isHeaderValue(subject.name):
                throw KubeError.invalidSetting(
                    name: "--access-user", value: subject.description,
                    reason: "the route admits the one user name the proxy puts in \(header); give user:NAME in printable ASCII")
            default:
                break
            }
        case .gatewayExternalAuth(_, let header):
            if let header { try checkHeaderName(header) }
        case nil:
            break
        }
    }

    /// Agents that trust a proxy's header get routes only when the routes set that header from a login and admit
    /// only the seat's identity.
    static func checkHeaderAgents(_ agents: [ExposedAgent], routes: RouteProtection, routing: RoutingKind, audience: Audience) throws {
        for agent in agents {
            let name = agent.kind.rawValue
            let problem: String?
            switch (audience, routes.authentication) {
            case (.pool, _):
                problem = "a pool has no identities to admit"
            case (.session(nil), _):
                problem = "no --access-user names the one identity the route may admit"
            case (_, nil):
                problem = "the routes do not authenticate (--public-routes)"
            case (_, .some(let authentication)):
                let header: String
                switch authentication {
                case .proxyHeader(let value): header = value
                case .external(_, _, let value): header = value
                case .gatewayExternalAuth:
                    // GEP-1494 says which answer headers are copied, not that a client's copy is dropped first.
                    throw KubeError.proxyHeaderAgent(
                        agent: name, header: agent.authHeader,
                        reason: "an ExternalAuth filter is not required to drop a copy of the header the client sent")
                }
                if let expected = agent.authHeader, expected.lowercased() != header.lowercased() {
                    problem = "the routes set \(header), not \(expected)"
                } else {
                    problem = nil
                }
            }
            if let problem { throw KubeError.proxyHeaderAgent(agent: name, header: agent.authHeader, reason: problem) }
        }
    }

    /// Whether `value` can be an HTTPRoute header match value as labforge writes it: printable ASCII, no spaces.
    static func isHeaderValue(_ value: String) -> Bool {
        !value.isEmpty && value.count <= 4096 && value.unicodeScalars.allSatisfy { (0x21...0x7E).contains($0.value) }
    }

    /// Checks an HTTP header name (RFC 9110 token characters labforge accepts).
    /// - Parameter name: The header name.
    /// - Throws: ``KubeError/invalidSetting(name:value:reason:)``.
    static func checkHeaderName(_ name: String) throws {
        let ok = !name.isEmpty && name.count <= 256 && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
        guard ok else { throw KubeError.invalidSetting(name: "--auth-header", value: name, reason: "an HTTP header name is letters, digits, '-' and '_'") }
    }
}
