// Service (v1): the agents' ports by name, selecting the lab VM's pod.

/// A ClusterIP Service in front of a VM's agents.
public struct Service: KubernetesObject, Hashable {
    /// API group and version.
    public var apiVersion = "v1"
    /// The object kind.
    public var kind = "Service"
    /// Name, namespace, labels and annotations.
    public var metadata: ObjectMeta
    /// Selector and ports.
    public var spec: Spec

    /// `spec` of a Service.
    public struct Spec: Sendable, Hashable, Codable {
        /// `ClusterIP`.
        public var type: String
        /// Labels of the VM's pod.
        public var selector: StringMap
        /// One port per agent.
        public var ports: [Port]
    }

    /// `spec.ports[]`.
    public struct Port: Sendable, Hashable, Codable {
        /// `terminal` or `desktop`.
        public var name: String
        /// `TCP`.
        public var `protocol`: String
        /// Service port (same as the guest's).
        public var port: Int
        /// The guest port (masquerade forwards it from the pod).
        public var targetPort: Int
    }

    /// Creates a Service.
    /// - Parameters:
    ///   - metadata: Metadata.
    ///   - spec: Spec.
    public init(metadata: ObjectMeta, spec: Spec) {
        self.metadata = metadata
        self.spec = spec
    }
}
