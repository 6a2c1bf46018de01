// Builds the Service, the protected routes (Ingress, HTTPRoute), the NetworkPolicy, and the Role and RoleBinding.
import Foundation

extension ManifestBuilder {
    /// The Service of the agents' ports.
    package func service() -> Service {
        Service(
            metadata: meta(names.session, labels: sessionLabels, annotations: imageAnnotations),
            spec: .init(
                type: "ClusterIP", selector: ["app.kubernetes.io/instance": names.session],
                ports: image.agents.map { .init(name: $0.kind.rawValue, protocol: "TCP", port: $0.port, targetPort: $0.port) }
            )
        )
    }

    /// `/<prefix>/<kind>`: where the public route starts.
    func publicPrefix(_ agent: ExposedAgent) -> String { "/\(names.pathPrefix)/\(agent.kind.rawValue)" }

    /// Whether the agent was built with exactly the public prefix as base path (then no rewrite).
    func needsRewrite(_ agent: ExposedAgent) -> Bool { agent.basePath != publicPrefix(agent) + "/" }

    /// ingress-nginx annotations of external authentication.
    enum AuthAnnotation {
        static let url = "nginx.ingress.kubernetes.io/auth-url"
        static let signin = "nginx.ingress.kubernetes.io/auth-signin"
        static let responseHeaders = "nginx.ingress.kubernetes.io/auth-response-headers"
        /// Ours: the header a proxy in front sets; a `proxy-header` image's ttyd trusts it (`--auth-header`).
        static let proxyHeader = "labforge.dev/auth-header"
    }

    /// The annotations the route protection adds: external auth with the seat's identity in the URL, or the proxy header.
    func authAnnotations(seat: String, identity: String?) -> StringMap {
        var annotations: StringMap = [:]
        switch settings.routes.authentication {
        case .external(let url, let signin, let header):
            annotations[AuthAnnotation.url] = Self.fill(url, id: seat, identity: identity ?? "")
            annotations[AuthAnnotation.signin] = signin
            annotations[AuthAnnotation.responseHeaders] = header
        case .proxyHeader(let header):
            annotations[AuthAnnotation.proxyHeader] = header
        case .gatewayExternalAuth, nil:
            break
        }
        return annotations
    }

    /// One Ingress per agent, with TLS for the host and external auth admitting only `identity` (``RouteRule`` checked it).
    package func ingresses(seat: String, identity: String?) -> [Ingress] {
        let auth = authAnnotations(seat: seat, identity: identity)
        return image.agents.map { agent in
            // ingress-nginx keeps WebSocket upgrades working by default; long timeouts keep idle sessions open.
            var annotations: StringMap = [
                "nginx.ingress.kubernetes.io/proxy-read-timeout": "3600",
                "nginx.ingress.kubernetes.io/proxy-send-timeout": "3600",
            ]
            for (key, value) in auth.entries { annotations[key] = value }
            let path: Ingress.Path
            let backend = Ingress.Backend(service: .init(name: names.session, port: .init(name: agent.kind.rawValue)))
            if needsRewrite(agent) {
                annotations["nginx.ingress.kubernetes.io/use-regex"] = "true"
                annotations["nginx.ingress.kubernetes.io/rewrite-target"] = agent.basePath + "$2"
                path = .init(path: publicPrefix(agent) + "(/|$)(.*)", pathType: "ImplementationSpecific", backend: backend)
            } else {
                path = .init(path: publicPrefix(agent), pathType: "Prefix", backend: backend)
            }
            var spec = Ingress.Spec(ingressClassName: settings.ingressClassName, rules: [.init(host: settings.host, http: .init(paths: [path]))])
            if let secret = settings.routes.tlsSecret, let host = settings.host { spec.tls = [Ingress.TLS(hosts: [host], secretName: secret)] }
            return Ingress(metadata: meta("\(names.session)-\(agent.kind.rawValue)", labels: sessionLabels, annotations: annotations), spec: spec)
        }
    }

    /// The HTTPRoute: per agent a rule matching the public prefix and, behind an authenticating proxy, the identity
    /// header exactly equal to `identity`; a request without that header value matches no rule (404).
    package func httpRoute(seat: String, identity: String?) -> HTTPRoute {
        var headers: [HTTPRoute.HeaderMatch]?
        if case .proxyHeader(let header) = settings.routes.authentication, let identity {
            headers = [HTTPRoute.HeaderMatch(exact: header, value: identity)]
        }
        var authFilter: HTTPRoute.Filter?
        if case .gatewayExternalAuth(let service, let header) = settings.routes.authentication {
            // The auth service is asked for /allowed/<identity>/<the request's path> and admits only that identity.
            authFilter = .auth(
                HTTPRoute.ExternalAuth(
                    protocol: "HTTP", backendRef: .init(name: service.name, namespace: service.namespace, port: service.port),
                    http: .init(path: identity.map { "/allowed/" + Self.encoded($0) }, allowedResponseHeaders: header.map { [$0] })))
        }
        let rules = image.agents.map { agent in
            var replacement = String(agent.basePath.dropLast())
            if replacement.isEmpty { replacement = "/" }
            var filters: [HTTPRoute.Filter] = authFilter.map { [$0] } ?? []
            if needsRewrite(agent) { filters.append(.rewrite(.init(path: .init(type: "ReplacePrefixMatch", replacePrefixMatch: replacement)))) }
            return HTTPRoute.Rule(
                matches: [.init(path: .init(type: "PathPrefix", value: publicPrefix(agent)), headers: headers)],
                filters: filters.isEmpty ? nil : filters, backendRefs: [.init(name: names.session, port: agent.port)]
            )
        }
        return HTTPRoute(
            metadata: meta(names.session, labels: sessionLabels, annotations: authAnnotations(seat: seat, identity: identity)),
            spec: .init(
                parentRefs: [.init(name: settings.gatewayName ?? "", namespace: settings.gatewayNamespace)],
                hostnames: settings.host.map { [$0] }, rules: rules
            )
        )
    }

    /// The NetworkPolicy isolating the selected pods in both directions:
    /// - ingress: from pods in the proxy namespace, on the agents' ports only, and only when there are routes
    ///   (otherwise nothing may connect: console and VNC go through virt-handler, not the pod network);
    /// - egress: DNS (UDP and TCP 53) to kube-system, and, unless the internet is off, any IPv4 address outside the
    ///   denied ranges (pod, service and node networks, metadata service).
    package func isolationPolicy(name: String, labels: StringMap, selector: StringMap, rule: RouteRule, isolation: NetworkIsolation) -> NetworkPolicy {
        let ports = image.agents.map { NetworkPolicy.Port(protocol: "TCP", port: $0.port) }
        let ingress: [NetworkPolicy.IngressRule]? =
            rule.writesRoutes && !ports.isEmpty
            ? [NetworkPolicy.IngressRule(from: [.namespace([NetworkPolicy.namespaceNameLabel: rule.proxyNamespace])], ports: ports)]
            : nil
        var egress = [
            NetworkPolicy.EgressRule(
                to: [.namespace([NetworkPolicy.namespaceNameLabel: "kube-system"])],
                ports: [NetworkPolicy.Port(protocol: "UDP", port: 53), NetworkPolicy.Port(protocol: "TCP", port: 53)])
        ]
        if isolation.allowInternet {
            egress.append(
                NetworkPolicy.EgressRule(
                    to: [.ipBlock(IPv4Range.everything.description, except: isolation.deniedRanges.map(\.description))], ports: nil))
        }
        return NetworkPolicy(
            metadata: ObjectMeta(name: name, namespace: settings.namespace, labels: labels),
            spec: .init(podSelector: LabelSelector(matchLabels: selector), policyTypes: ["Ingress", "Egress"], ingress: ingress, egress: egress)
        )
    }

    func role() -> Role {
        let vms = [names.ephemeralVM, names.persistentVM] + (settings.variant == .persistentHome ? [names.persistentHomeVM] : [])
        return Role(
            metadata: meta(names.access, labels: sessionLabels),
            rules: [
                PolicyRule(apiGroups: ["kubevirt.io"], resources: ["virtualmachines", "virtualmachineinstances"], resourceNames: vms, verbs: ["get"]),
                PolicyRule(
                    apiGroups: ["subresources.kubevirt.io"], resources: ["virtualmachineinstances/console", "virtualmachineinstances/vnc"],
                    resourceNames: vms, verbs: ["get"]
                ),
                PolicyRule(
                    apiGroups: ["subresources.kubevirt.io"],
                    resources: ["virtualmachines/start", "virtualmachines/stop", "virtualmachines/restart"], resourceNames: vms, verbs: ["update"]
                ),
            ]
        )
    }

    /// The RoleBinding to the identity given on the command line; none without one.
    func roleBinding() -> RoleBinding? {
        settings.accessSubject.map {
            RoleBinding(metadata: meta(names.access, labels: sessionLabels), roleName: names.access, subjects: [$0.roleBindingSubject])
        }
    }

    /// `{id}` and `{identity}` of an auth URL, percent-encoded but for RFC 3986's unreserved characters.
    static func fill(_ template: String, id: String, identity: String) -> String {
        template.replacingOccurrences(of: "{id}", with: encoded(id)).replacingOccurrences(of: "{identity}", with: encoded(identity))
    }

    /// Percent-encoded but for RFC 3986's unreserved characters (a URL query value or one path segment).
    static func encoded(_ value: String) -> String {
        let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
    }
}

extension ManifestSet {
    /// The browser path of an agent under a prefix (noVNC gets its WebSocket `path` parameter).
    package static func publicPath(of agent: ExposedAgent, prefix: String) -> String {
        let base = "/\(prefix)/\(agent.kind.rawValue)/"
        guard agent.kind == .desktop else { return base + agent.entryPage }
        return base + agent.entryPage + "?path=\(prefix)/\(agent.kind.rawValue)/\(agent.websocketPath)&autoconnect=true&resize=remote"
    }
}
