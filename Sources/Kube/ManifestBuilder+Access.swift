// Builds the Service, the routes (Ingress, HTTPRoute) and the lab user's Role and RoleBinding.

extension ManifestBuilder {
    func service() -> Service {
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

    func ingresses() -> [Ingress] {
        image.agents.map { agent in
            // ingress-nginx keeps WebSocket upgrades working by default; long timeouts keep idle sessions open.
            var annotations: StringMap = [
                "nginx.ingress.kubernetes.io/proxy-read-timeout": "3600",
                "nginx.ingress.kubernetes.io/proxy-send-timeout": "3600",
            ]
            let path: Ingress.Path
            let backend = Ingress.Backend(service: .init(name: names.session, port: .init(name: agent.kind.rawValue)))
            if needsRewrite(agent) {
                annotations["nginx.ingress.kubernetes.io/use-regex"] = "true"
                annotations["nginx.ingress.kubernetes.io/rewrite-target"] = agent.basePath + "$2"
                path = .init(path: publicPrefix(agent) + "(/|$)(.*)", pathType: "ImplementationSpecific", backend: backend)
            } else {
                path = .init(path: publicPrefix(agent), pathType: "Prefix", backend: backend)
            }
            return Ingress(
                metadata: meta("\(names.session)-\(agent.kind.rawValue)", labels: sessionLabels, annotations: annotations),
                spec: .init(ingressClassName: settings.ingressClassName, rules: [.init(host: settings.host, http: .init(paths: [path]))])
            )
        }
    }

    func httpRoute() -> HTTPRoute {
        let rules = image.agents.map { agent in
            var replacement = String(agent.basePath.dropLast())
            if replacement.isEmpty { replacement = "/" }
            let filters: [HTTPRoute.Filter]? =
                needsRewrite(agent)
                ? [.init(type: "URLRewrite", urlRewrite: .init(path: .init(type: "ReplacePrefixMatch", replacePrefixMatch: replacement)))]
                : nil
            return HTTPRoute.Rule(
                matches: [.init(path: .init(type: "PathPrefix", value: publicPrefix(agent)))], filters: filters,
                backendRefs: [.init(name: names.session, port: agent.port)]
            )
        }
        return HTTPRoute(
            metadata: meta(names.session, labels: sessionLabels),
            spec: .init(
                parentRefs: [.init(name: settings.gatewayName, namespace: settings.gatewayNamespace)],
                hostnames: settings.host.map { [$0] }, rules: rules
            )
        )
    }

    func role() -> Role {
        let vms = [names.ephemeralVM, names.persistentVM]
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

    func roleBinding() -> RoleBinding {
        RoleBinding(metadata: meta(names.access, labels: sessionLabels), roleName: names.access, user: settings.accessSubject ?? image.labUser)
    }
}

extension ManifestSet {
    /// The browser path of an agent under a prefix (noVNC gets its WebSocket `path` parameter).
    static func publicPath(of agent: ExposedAgent, prefix: String) -> String {
        let base = "/\(prefix)/\(agent.kind.rawValue)/"
        guard agent.kind == .desktop else { return base + agent.entryPage }
        return base + agent.entryPage + "?path=\(prefix)/\(agent.kind.rawValue)/\(agent.websocketPath)&autoconnect=true&resize=remote"
    }
}
