// A seat's Service and routes, with TLS and authentication (ingress-nginx external auth or a trusted proxy header).
import Foundation

extension ClassBuilder {
    /// ingress-nginx annotations of external authentication.
    enum AuthAnnotation {
        static let url = "nginx.ingress.kubernetes.io/auth-url"
        static let signin = "nginx.ingress.kubernetes.io/auth-signin"
        static let responseHeaders = "nginx.ingress.kubernetes.io/auth-response-headers"
        /// Ours: the header a proxy in front sets; the image's ttyd must be started with `--auth-header` it.
        static let proxyHeader = "labforge.dev/auth-header"
    }

    /// The Service and the chosen route kind of one seat, or nothing without routes.
    func routes(
        _ builder: ManifestBuilder, seat: String, identity: String?, labels: StringMap
    ) -> (service: Service?, ingresses: [Ingress], httpRoute: HTTPRoute?) {
        guard routesWritten else { return (nil, [], nil) }
        var service = builder.service()
        service.metadata.labels = labels
        var annotations: StringMap = [:]
        switch classSettings.routes.authentication {
        case .external(let url, let signin, let header):
            annotations[AuthAnnotation.url] = Self.fill(url, id: seat, identity: identity ?? "")
            annotations[AuthAnnotation.signin] = signin
            annotations[AuthAnnotation.responseHeaders] = header
        case .proxyHeader(let header):
            annotations[AuthAnnotation.proxyHeader] = header
        case nil:
            break
        }
        switch settings.routing {
        case .ingress:
            let ingresses = builder.ingresses().map { ingress in
                var protected = ingress
                protected.metadata.labels = labels
                for (key, value) in annotations.entries { protected.metadata.annotations?[key] = value }
                if let secret = classSettings.routes.tlsSecret, let host = settings.host {
                    protected.spec.tls = [Ingress.TLS(hosts: [host], secretName: secret)]
                }
                return protected
            }
            return (service, ingresses, nil)
        case .httproute:
            var route = builder.httpRoute()
            route.metadata.labels = labels
            if !annotations.isEmpty { route.metadata.annotations = annotations }
            return (service, [], route)
        }
    }

    /// Agent → the URL a student opens (a path alone when routes answer on any host; nothing without routes).
    func urls(prefix: String) -> [AgentKind: String] {
        guard routesWritten else { return [:] }
        // The Gateway's HTTPS listener or the Ingress's TLS section serves the host over HTTPS.
        let secure = classSettings.routes.tlsSecret != nil || settings.routing == .httproute
        let origin = settings.host.map { (secure ? "https://" : "http://") + $0 } ?? ""
        return Dictionary(uniqueKeysWithValues: image.agents.map { ($0.kind, origin + ManifestSet.publicPath(of: $0, prefix: prefix)) })
    }

    /// `{id}` and `{identity}` of an auth URL, percent-encoded but for RFC 3986's unreserved characters.
    static func fill(_ template: String, id: String, identity: String) -> String {
        let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        func encoded(_ value: String) -> String { value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value }
        return template.replacingOccurrences(of: "{id}", with: encoded(id)).replacingOccurrences(of: "{identity}", with: encoded(identity))
    }
}
