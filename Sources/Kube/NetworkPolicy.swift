// NetworkPolicy (networking.k8s.io/v1): what may reach a lab VM's pod and where it may connect.

/// A NetworkPolicy. A pod selected by any policy of a type (Ingress, Egress) gets only the traffic some
/// selecting policy allows; rules only ever allow.
public struct NetworkPolicy: KubernetesObject, Hashable {
    /// API group and version.
    public var apiVersion = "networking.k8s.io/v1"
    /// The object kind.
    public var kind = "NetworkPolicy"
    /// Name, namespace, labels and annotations.
    public var metadata: ObjectMeta
    /// Selected pods and rules.
    public var spec: Spec

    /// `spec` of a NetworkPolicy.
    public struct Spec: Sendable, Hashable, Codable {
        /// The pods it isolates.
        public var podSelector: LabelSelector
        /// `Ingress`, `Egress` or both: the directions it isolates (even with no rule).
        public var policyTypes: [String]
        /// Allowed incoming traffic; nil or empty allows none.
        public var ingress: [IngressRule]?
        /// Allowed outgoing traffic; nil or empty allows none.
        public var egress: [EgressRule]?
    }

    /// `ingress[]`: traffic from any of `from` to any of `ports`.
    public struct IngressRule: Sendable, Hashable, Codable {
        /// Sources.
        public var from: [Peer]
        /// Destination ports on the pod; nil for all.
        public var ports: [Port]?

        /// Creates a rule.
        /// - Parameters:
        ///   - from: Sources.
        ///   - ports: Ports, or nil for all.
        public init(from: [Peer], ports: [Port]?) {
            self.from = from
            self.ports = ports
        }
    }

    /// `egress[]`: traffic to any of `to` on any of `ports`.
    public struct EgressRule: Sendable, Hashable, Codable {
        /// Destinations.
        public var to: [Peer]
        /// Destination ports; nil for all.
        public var ports: [Port]?

        /// Creates a rule.
        /// - Parameters:
        ///   - to: Destinations.
        ///   - ports: Ports, or nil for all.
        public init(to: [Peer], ports: [Port]?) {
            self.to = to
            self.ports = ports
        }
    }

    /// `from[]` / `to[]`: pods in namespaces, or an IP range.
    public struct Peer: Sendable, Hashable, Codable {
        /// Pods in the namespaces with these labels.
        public var namespaceSelector: LabelSelector?
        /// Pods with these labels (in the selected namespaces).
        public var podSelector: LabelSelector?
        /// An IP range with holes.
        public var ipBlock: IPBlock?

        /// Every pod of the namespaces with these labels.
        /// - Parameter labels: Namespace labels, e.g. `kubernetes.io/metadata.name: ingress-nginx`.
        /// - Returns: The peer.
        public static func namespace(_ labels: StringMap) -> Peer {
            Peer(namespaceSelector: LabelSelector(matchLabels: labels), podSelector: nil, ipBlock: nil)
        }

        /// An IP range.
        /// - Parameters:
        ///   - cidr: The range.
        ///   - except: Ranges inside it that stay closed.
        /// - Returns: The peer.
        public static func ipBlock(_ cidr: String, except: [String]) -> Peer {
            Peer(namespaceSelector: nil, podSelector: nil, ipBlock: IPBlock(cidr: cidr, except: except.isEmpty ? nil : except))
        }
    }

    /// `ipBlock`.
    public struct IPBlock: Sendable, Hashable, Codable {
        /// The range.
        public var cidr: String
        /// Holes in it.
        public var except: [String]?
    }

    /// `ports[]`.
    public struct Port: Sendable, Hashable, Codable {
        /// `TCP` or `UDP`.
        public var `protocol`: String
        /// The port number.
        public var port: Int

        /// Creates a port.
        /// - Parameters:
        ///   - protocol: `TCP` or `UDP`.
        ///   - port: The port number.
        public init(protocol: String, port: Int) {
            self.protocol = `protocol`
            self.port = port
        }
    }

    /// Namespace label the API server sets on every namespace (Kubernetes ≥ 1.21).
    public static let namespaceNameLabel = "kubernetes.io/metadata.name"

    /// Creates a NetworkPolicy.
    /// - Parameters:
    ///   - metadata: Metadata.
    ///   - spec: Spec.
    public init(metadata: ObjectMeta, spec: Spec) {
        self.metadata = metadata
        self.spec = spec
    }
}

/// A label selector with `matchLabels` only (NetworkPolicy, VirtualMachinePool).
public struct LabelSelector: Sendable, Hashable, Codable {
    /// Labels every selected object carries.
    public var matchLabels: StringMap

    /// Creates a selector.
    /// - Parameter matchLabels: The labels.
    public init(matchLabels: StringMap) { self.matchLabels = matchLabels }
}
