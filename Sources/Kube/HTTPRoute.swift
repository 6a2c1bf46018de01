// Gateway API HTTPRoute (gateway.networking.k8s.io/v1): the portable alternative to the Ingress.

/// An HTTPRoute sending each agent's public prefix to the Service, rewriting it to the agent's base path.
public struct HTTPRoute: KubernetesObject, Hashable {
    /// API group and version.
    public var apiVersion = "gateway.networking.k8s.io/v1"
    /// The object kind.
    public var kind = "HTTPRoute"
    /// Name, namespace, labels and annotations.
    public var metadata: ObjectMeta
    /// Gateway, host names, rules.
    public var spec: Spec

    /// `spec` of an HTTPRoute.
    public struct Spec: Sendable, Hashable, Codable {
        /// The Gateway.
        public var parentRefs: [ParentReference]
        /// Host names, or nil for the Gateway's.
        public var hostnames: [String]?
        /// One rule per agent.
        public var rules: [Rule]
    }

    /// `parentRefs[]`.
    public struct ParentReference: Sendable, Hashable, Codable {
        /// Gateway name.
        public var name: String
        /// Gateway namespace, or nil for the route's.
        public var namespace: String?
    }

    /// `rules[]`.
    public struct Rule: Sendable, Hashable, Codable {
        /// Path matches.
        public var matches: [Match]
        /// The prefix rewrite.
        public var filters: [Filter]?
        /// The Service port.
        public var backendRefs: [BackendReference]
    }

    /// `matches[]`: a request matches when its path and every header match (Gateway API ANDs them).
    public struct Match: Sendable, Hashable, Codable {
        /// Path match.
        public var path: PathMatch
        /// Header matches; nil for none.
        public var headers: [HeaderMatch]? = nil
    }

    /// `matches[].headers[]`: the header `name` (case-insensitive) must equal `value` (type `Exact`, Core support).
    public struct HeaderMatch: Sendable, Hashable, Codable {
        /// `Exact`.
        public var type: String
        /// Header name.
        public var name: String
        /// The value it must have.
        public var value: String

        /// Creates an exact header match.
        /// - Parameters:
        ///   - name: Header name.
        ///   - value: Exact value.
        public init(exact name: String, value: String) {
            type = "Exact"
            self.name = name
            self.value = value
        }
    }

    /// `matches[].path`.
    public struct PathMatch: Sendable, Hashable, Codable {
        /// `PathPrefix`.
        public var type: String
        /// `/<prefix>/terminal`.
        public var value: String
    }

    /// `filters[]`: `ExternalAuth` (each request first asks an auth service) or `URLRewrite`.
    public struct Filter: Sendable, Hashable, Codable {
        /// `ExternalAuth` or `URLRewrite`.
        public var type: String
        /// The auth service to ask (type `ExternalAuth`).
        public var externalAuth: ExternalAuth?
        /// The rewrite (type `URLRewrite`).
        public var urlRewrite: URLRewrite?

        /// A prefix rewrite.
        /// - Parameter urlRewrite: The rewrite.
        /// - Returns: The filter.
        public static func rewrite(_ urlRewrite: URLRewrite) -> Filter { Filter(type: "URLRewrite", externalAuth: nil, urlRewrite: urlRewrite) }

        /// An external auth check.
        /// - Parameter externalAuth: The auth service and what it is sent.
        /// - Returns: The filter.
        public static func auth(_ externalAuth: ExternalAuth) -> Filter { Filter(type: "ExternalAuth", externalAuth: externalAuth, urlRewrite: nil) }
    }

    /// `filters[].externalAuth` (Gateway API GEP-1494, Extended support, experimental channel): the Gateway asks
    /// the Service over HTTP, with `http.path` put in front of the request's path, and forwards the request only
    /// on a 2xx answer (failing closed).
    public struct ExternalAuth: Sendable, Hashable, Codable {
        /// `HTTP`.
        public var `protocol`: String
        /// The auth Service.
        public var backendRef: AuthBackend
        /// What the HTTP auth request carries.
        public var http: HTTPAuth
    }

    /// `externalAuth.backendRef`.
    public struct AuthBackend: Sendable, Hashable, Codable {
        /// Service name.
        public var name: String
        /// Service namespace (a ReferenceGrant there must allow HTTPRoutes), or nil for the route's.
        public var namespace: String?
        /// Service port.
        public var port: Int
    }

    /// `externalAuth.http`.
    public struct HTTPAuth: Sendable, Hashable, Codable {
        /// Prefix added to the request's path in the auth request: labforge writes `/allowed/<identity>`.
        public var path: String?
        /// Headers of the auth answer copied into the request to the VM.
        public var allowedResponseHeaders: [String]?
    }

    /// `filters[].urlRewrite`.
    public struct URLRewrite: Sendable, Hashable, Codable {
        /// Path rewrite.
        public var path: PathModifier
    }

    /// `urlRewrite.path`.
    public struct PathModifier: Sendable, Hashable, Codable {
        /// `ReplacePrefixMatch`.
        public var type: String
        /// The agent's base path.
        public var replacePrefixMatch: String
    }

    /// `backendRefs[]`.
    public struct BackendReference: Sendable, Hashable, Codable {
        /// Service name.
        public var name: String
        /// Service port number.
        public var port: Int
    }

    /// Creates an HTTPRoute.
    /// - Parameters:
    ///   - metadata: Metadata.
    ///   - spec: Spec.
    public init(metadata: ObjectMeta, spec: Spec) {
        self.metadata = metadata
        self.spec = spec
    }
}
