// A seat's Service and routes, with TLS and per-seat authentication (ManifestBuilder builds them; RouteRule checked them).
import Kube

extension ClassBuilder {
    /// The Service and the chosen route kind of one seat, or nothing without routes.
    func routes(
        _ builder: ManifestBuilder, seat: String, identity: String?, labels: StringMap
    ) -> (service: Service?, ingresses: [Ingress], httpRoute: HTTPRoute?) {
        guard routesWritten else { return (nil, [], nil) }
        var service = builder.service()
        service.metadata.labels = labels
        switch settings.routing {
        case .ingress:
            let ingresses = builder.ingresses(seat: seat, identity: identity).map { ingress in
                var labelled = ingress
                labelled.metadata.labels = labels
                return labelled
            }
            return (service, ingresses, nil)
        case .httproute:
            var route = builder.httpRoute(seat: seat, identity: identity)
            route.metadata.labels = labels
            return (service, [], route)
        }
    }

    /// Agent → the URL a student opens (a path alone when routes answer on any host; nothing without routes).
    func urls(prefix: String) -> [AgentKind: String] {
        guard routesWritten else { return [:] }
        // The Gateway's HTTPS listener or the Ingress's TLS section serves the host over HTTPS.
        let secure = settings.routes.tlsSecret != nil || settings.routing == .httproute
        let origin = settings.host.map { (secure ? "https://" : "http://") + $0 } ?? ""
        return Dictionary(uniqueKeysWithValues: image.agents.map { ($0.kind, origin + ManifestSet.publicPath(of: $0, prefix: prefix)) })
    }
}
