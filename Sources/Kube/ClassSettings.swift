// What a class adds to the deployment settings: network isolation, namespaces, quotas, route protection.

/// How the routes make sure a person is logged in before a request reaches a lab VM.
public enum RouteAuthentication: Sendable, Hashable {
    /// ingress-nginx external auth: every request is first sent to `url` (e.g. oauth2-proxy's `/oauth2/auth`);
    /// a 401 sends the browser to `signin`; `responseHeader` of the auth answer is passed on to the VM.
    /// `{id}` and `{identity}` in `url` become each student's id and identity name, URL-encoded, so the auth
    /// service can admit only that student (oauth2-proxy: `?allowed_emails={identity}`).
    case external(url: String, signin: String, responseHeader: String)
    /// A proxy in front of the ingress or Gateway authenticates every request and sets this header (ttyd's
    /// `--auth-header` mode); it must also drop the header from clients.
    case proxyHeader(String)
}

/// TLS and authentication of a class's routes.
public struct RouteProtection: Sendable, Hashable {
    /// The `kubernetes.io/tls` Secret of the host (Ingress only; it must exist in every namespace holding routes).
    public var tlsSecret: String?
    /// How users are authenticated.
    public var authentication: RouteAuthentication?
    /// Write routes even without TLS or authentication (`--public-routes`).
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
}

/// Class-wide choices beyond ``ManifestSettings``.
public struct ClassSettings: Sendable, Hashable {
    /// Namespace of the ingress controller's or Gateway's proxy pods: the only source allowed to reach the VMs.
    public var ingressNamespace: String
    /// Ranges a VM may not reach (pod, service and node networks, metadata); must cover 169.254.169.254.
    public var deniedRanges: [IPv4Range]
    /// Whether VMs may reach the internet (outside ``deniedRanges``); DNS is allowed either way.
    public var allowInternet: Bool
    /// One namespace `<namespace>-<id>` per student instead of one shared namespace.
    public var namespacePerStudent: Bool
    /// A ResourceQuota per student namespace: resource name → quantity; empty for none.
    public var quota: StringMap
    /// TLS and authentication of the routes.
    public var routes: RouteProtection

    /// Creates class settings; the defaults isolate VMs and allow the internet.
    /// - Parameters:
    ///   - ingressNamespace: Namespace of the proxy pods.
    ///   - deniedRanges: Ranges VMs may not reach.
    ///   - allowInternet: Allow egress beyond DNS.
    ///   - namespacePerStudent: A namespace per student.
    ///   - quota: Per-namespace quota.
    ///   - routes: Route protection.
    public init(
        ingressNamespace: String = "ingress-nginx", deniedRanges: [IPv4Range] = IPv4Range.defaultDenied, allowInternet: Bool = true,
        namespacePerStudent: Bool = false, quota: StringMap = [:], routes: RouteProtection = RouteProtection()
    ) {
        self.ingressNamespace = ingressNamespace
        self.deniedRanges = deniedRanges
        self.allowInternet = allowInternet
        self.namespacePerStudent = namespacePerStudent
        self.quota = quota
        self.routes = routes
    }

    /// Whether routes are written: only for an image with agents, and only with a host or `--public-routes`.
    /// - Parameters:
    ///   - image: The image.
    ///   - deployment: The deployment settings.
    /// - Returns: True when the class gets a Service and routes per VM.
    public func writesRoutes(image: ImageDescription, deployment: ManifestSettings) -> Bool {
        !image.agents.isEmpty && (deployment.host != nil || routes.allowUnprotected)
    }

    /// Checks the settings against the deployment and says what is unsafe but accepted.
    /// - Parameters:
    ///   - deployment: Namespace, host and routing.
    ///   - image: The image (its agents decide whether there are routes).
    ///   - pool: Whether this is a pool (no identities for `{identity}`).
    /// - Returns: Warnings for standard error (public routes).
    /// - Throws: ``KubeError`` or ``ClassError`` naming the option at fault.
    public func validate(deployment: ManifestSettings, image: ImageDescription, pool: Bool) throws -> [String] {
        guard let namespace = deployment.namespace else {
            throw KubeError.invalidSetting(
                name: "--namespace", value: "(none)",
                reason: "a class needs a namespace: RoleBindings, clone permissions and NetworkPolicies name it")
        }
        try KubernetesName.checkLabel(ingressNamespace, kind: "ingress namespace")
        if !deniedRanges.contains(where: { $0.contains(.metadataService) }) {
            throw KubeError.invalidSetting(
                name: "--deny-cidr", value: deniedRanges.map(\.description).joined(separator: ","),
                reason: "no range covers the metadata service 169.254.169.254; add 169.254.0.0/16")
        }
        if !quota.isEmpty {
            guard namespacePerStudent else {
                throw KubeError.invalidSetting(name: "--quota", value: Self.quotaText(quota), reason: "a quota needs --namespace-per-student")
            }
            for (name, value) in quota.entries.sorted(by: { $0.key < $1.key }) where !Quantity.isValid(value) || name.isEmpty {
                throw KubeError.invalidSetting(name: "--quota", value: "\(name)=\(value)", reason: "expected RESOURCE=QUANTITY, e.g. requests.memory=4Gi")
            }
        }
        if namespacePerStudent { try KubernetesName.checkLabel("\(namespace)-x", kind: "student Namespace") }
        return try validateRoutes(deployment: deployment, image: image, pool: pool)
    }

    func validateRoutes(deployment: ManifestSettings, image: ImageDescription, pool: Bool) throws -> [String] {
        let given = routes.tlsSecret != nil || routes.authentication != nil
        guard writesRoutes(image: image, deployment: deployment) else {
            if given {
                let reason = image.agents.isEmpty ? "the image serves no agent, so there are no routes" : "routes are written only with --host"
                throw KubeError.invalidSetting(name: "--tls-secret/--auth-*", value: "given", reason: reason)
            }
            return []
        }
        if let tlsSecret = routes.tlsSecret { try KubernetesName.checkLabel(tlsSecret, kind: "TLS Secret") }
        var missing: [String] = []
        switch deployment.routing {
        case .ingress:
            if routes.tlsSecret == nil { missing.append("without TLS (--tls-secret NAME)") }
            if routes.tlsSecret != nil, deployment.host == nil {
                throw KubeError.invalidSetting(name: "--tls-secret", value: routes.tlsSecret ?? "", reason: "TLS needs --host")
            }
            if routes.authentication == nil {
                missing.append("without authentication (--auth-url and --auth-signin, or --auth-header NAME)")
            }
        case .httproute:
            if routes.tlsSecret != nil {
                throw KubeError.invalidSetting(
                    name: "--tls-secret", value: routes.tlsSecret ?? "",
                    reason: "an HTTPRoute gets TLS from its Gateway's HTTPS listener; drop --tls-secret")
            }
            if case .external = routes.authentication {
                throw KubeError.invalidSetting(
                    name: "--auth-url", value: "given",
                    reason: "external auth annotations are ingress-nginx's; with --routing httproute put an authenticating proxy in front of the Gateway and pass --auth-header NAME")
            }
            if routes.authentication == nil { missing.append("without authentication (--auth-header NAME set by a proxy in front of the Gateway)") }
        }
        if case .external(let url, let signin, let header) = routes.authentication {
            for (name, value) in [("--auth-url", url), ("--auth-signin", signin)] where !(value.hasPrefix("https://") || value.hasPrefix("http://")) {
                throw KubeError.invalidSetting(name: name, value: value, reason: "expected an http:// or https:// URL")
            }
            if pool, url.contains("{identity}") {
                throw KubeError.invalidSetting(name: "--auth-url", value: url, reason: "a pool has no identities; {identity} cannot be filled")
            }
            try Self.checkHeaderName(header)
        }
        if case .proxyHeader(let header) = routes.authentication { try Self.checkHeaderName(header) }
        guard !missing.isEmpty else { return [] }
        guard routes.allowUnprotected else { throw ClassError.unprotectedRoutes(missing: missing) }
        return ["--public-routes: the routes are served \(missing.joined(separator: " and ")); only the agents' per-VM credentials protect the VMs"]
    }

    static func checkHeaderName(_ name: String) throws {
        let ok = !name.isEmpty && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
        guard ok else { throw KubeError.invalidSetting(name: "--auth-header", value: name, reason: "an HTTP header name is letters, digits, '-' and '_'") }
    }

    /// `a=1,b=2`.
    static func quotaText(_ quota: StringMap) -> String {
        quota.entries.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
    }
}
