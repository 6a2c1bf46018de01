// Ingress (networking.k8s.io/v1): /<prefix>/terminal/ and /<prefix>/desktop/ on one host name.

/// An Ingress routing one agent's public prefix to the Service.
public struct Ingress: KubernetesObject, Hashable {
    /// API group and version.
    public var apiVersion = "networking.k8s.io/v1"
    /// The object kind.
    public var kind = "Ingress"
    /// Name, namespace, labels and annotations.
    public var metadata: ObjectMeta
    /// Class and rules.
    public var spec: Spec

    /// `spec` of an Ingress.
    public struct Spec: Sendable, Hashable, Codable {
        /// IngressClass, or nil for the default.
        public var ingressClassName: String?
        /// One rule.
        public var rules: [Rule]
        /// TLS for the rule's host, when a certificate Secret is named.
        public var tls: [TLS]? = nil
    }

    /// `spec.tls[]`.
    public struct TLS: Sendable, Hashable, Codable {
        /// Host names the certificate covers.
        public var hosts: [String]
        /// The `kubernetes.io/tls` Secret, in the Ingress's namespace.
        public var secretName: String

        /// Creates a TLS entry.
        /// - Parameters:
        ///   - hosts: Host names.
        ///   - secretName: The certificate Secret.
        public init(hosts: [String], secretName: String) {
            self.hosts = hosts
            self.secretName = secretName
        }
    }

    /// `spec.rules[]`.
    public struct Rule: Sendable, Hashable, Codable {
        /// Host, or nil for any.
        public var host: String?
        /// Paths.
        public var http: HTTP
    }

    /// `rules[].http`.
    public struct HTTP: Sendable, Hashable, Codable {
        /// Paths.
        public var paths: [Path]
    }

    /// `http.paths[]`.
    public struct Path: Sendable, Hashable, Codable {
        /// The public path (a regular expression when rewriting).
        public var path: String
        /// `Prefix` or `ImplementationSpecific` (regex paths).
        public var pathType: String
        /// The Service port.
        public var backend: Backend
    }

    /// `paths[].backend`.
    public struct Backend: Sendable, Hashable, Codable {
        /// Service and port.
        public var service: ServiceBackend
    }

    /// `backend.service`.
    public struct ServiceBackend: Sendable, Hashable, Codable {
        /// Service name.
        public var name: String
        /// Port by name.
        public var port: PortName
    }

    /// `service.port`.
    public struct PortName: Sendable, Hashable, Codable {
        /// `terminal` or `desktop`.
        public var name: String
    }

    /// Creates an Ingress.
    /// - Parameters:
    ///   - metadata: Metadata.
    ///   - spec: Spec.
    public init(metadata: ObjectMeta, spec: Spec) {
        self.metadata = metadata
        self.spec = spec
    }
}
