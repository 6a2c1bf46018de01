// Deployment (apps/v1) and the parts of a Pod spec a pod lab uses: hardened security context, Secret volume, probes, resources.

/// A Deployment running one pod lab.
public struct Deployment: KubernetesObject, Hashable {
    /// API group and version.
    public var apiVersion = "apps/v1"
    /// The object kind.
    public var kind = "Deployment"
    /// Name, namespace, labels and annotations.
    public var metadata: ObjectMeta
    /// Replicas, selector, pod template.
    public var spec: Spec

    /// `spec` of a Deployment.
    public struct Spec: Sendable, Hashable, Codable {
        /// Pods (1: one lab per Deployment; 0 stops it).
        public var replicas: Int
        /// Selects the template's pods.
        public var selector: LabelSelector
        /// `Recreate`: a lab's old pod is gone before the new one starts (its credentials, its ports).
        public var strategy: Strategy
        /// The pod.
        public var template: PodTemplate
    }

    /// `spec.strategy`.
    public struct Strategy: Sendable, Hashable, Codable {
        /// `Recreate` or `RollingUpdate`.
        public var type: String
    }

    /// `spec.template`.
    public struct PodTemplate: Sendable, Hashable, Codable {
        /// Labels (and annotations) of the pods.
        public var metadata: ObjectMeta
        /// The pod spec.
        public var spec: PodSpec
    }

    /// Creates a Deployment.
    /// - Parameters:
    ///   - metadata: Metadata.
    ///   - spec: Spec.
    public init(metadata: ObjectMeta, spec: Spec) {
        self.metadata = metadata
        self.spec = spec
    }
}

/// The pod spec of a pod lab.
public struct PodSpec: Sendable, Hashable, Codable {
    /// Pod-level security: non-root user and group, `fsGroup` for the Secret's files, seccomp RuntimeDefault.
    public var securityContext: PodSecurityContext
    /// No API token in a lab pod.
    public var automountServiceAccountToken: Bool
    /// Seconds between SIGTERM and SIGKILL.
    public var terminationGracePeriodSeconds: Int
    /// The lab container.
    public var containers: [Container]
    /// The credentials Secret.
    public var volumes: [Volume]
    /// `kubernetes.io/arch` of a single-architecture image, so the pod lands on a node that can run it; nil (not
    /// written) for a multi-architecture image, whose index each node resolves to its own platform.
    public var nodeSelector: StringMap? = nil
}

/// `securityContext` of a pod.
public struct PodSecurityContext: Sendable, Hashable, Codable {
    /// Refuse to start as root.
    public var runAsNonRoot: Bool
    /// The image's user id.
    public var runAsUser: Int
    /// Its group id.
    public var runAsGroup: Int
    /// Group of mounted volume files (the Secret's files are readable by it, 0440).
    public var fsGroup: Int
    /// `RuntimeDefault`.
    public var seccompProfile: SeccompProfile
}

/// `seccompProfile`.
public struct SeccompProfile: Sendable, Hashable, Codable {
    /// `RuntimeDefault`.
    public var type: String
}

/// One container of a pod.
public struct Container: Sendable, Hashable, Codable {
    /// Name.
    public var name: String
    /// `registry/repository:tag@sha256:…`.
    public var image: String
    /// `IfNotPresent` (the reference is pinned by digest).
    public var imagePullPolicy: String
    /// The agents' ports.
    public var ports: [ContainerPort]
    /// No escalation, all capabilities dropped, non-root.
    public var securityContext: ContainerSecurityContext
    /// The Secret at the credentials path.
    public var volumeMounts: [VolumeMount]
    /// Ready when the first agent accepts connections.
    public var readinessProbe: TCPProbe
    /// Restarted when it stops accepting them.
    public var livenessProbe: TCPProbe
    /// Requests and limits from the recipe.
    public var resources: Resources
}

/// `ports[]` of a container.
public struct ContainerPort: Sendable, Hashable, Codable {
    /// `terminal`, `desktop`.
    public var name: String
    /// The port.
    public var containerPort: Int
    /// `TCP`.
    public var `protocol`: String
}

/// `securityContext` of a container.
public struct ContainerSecurityContext: Sendable, Hashable, Codable {
    /// Always false: no setuid binary is left in the image either.
    public var allowPrivilegeEscalation: Bool
    /// Refuse to start as root.
    public var runAsNonRoot: Bool
    /// `drop: [ALL]`.
    public var capabilities: Capabilities
    /// `RuntimeDefault`.
    public var seccompProfile: SeccompProfile
}

/// `capabilities`.
public struct Capabilities: Sendable, Hashable, Codable {
    /// Dropped capabilities.
    public var drop: [String]
}

/// `volumeMounts[]`.
public struct VolumeMount: Sendable, Hashable, Codable {
    /// Volume name.
    public var name: String
    /// Where it is mounted.
    public var mountPath: String
    /// Read-only.
    public var readOnly: Bool
}

/// `volumes[]` with a Secret source.
public struct Volume: Sendable, Hashable, Codable {
    /// Name.
    public var name: String
    /// The Secret.
    public var secret: SecretSource

    /// `secret`.
    public struct SecretSource: Sendable, Hashable, Codable {
        /// The Secret's name.
        public var secretName: String
        /// File mode (decimal in JSON; 0440 = 288).
        public var defaultMode: Int
    }
}

/// A TCP socket probe.
public struct TCPProbe: Sendable, Hashable, Codable {
    /// The port.
    public var tcpSocket: TCPSocket
    /// Seconds before the first probe.
    public var initialDelaySeconds: Int
    /// Seconds between probes.
    public var periodSeconds: Int
    /// Failures before the verdict changes.
    public var failureThreshold: Int

    /// `tcpSocket`.
    public struct TCPSocket: Sendable, Hashable, Codable {
        /// The port number.
        public var port: Int
    }
}

/// `resources`.
public struct Resources: Sendable, Hashable, Codable {
    /// Requests.
    public var requests: StringMap
    /// Limits.
    public var limits: StringMap
}
