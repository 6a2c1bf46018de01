// KubeVirt VirtualMachine (kubevirt.io/v1): the lab VM, ephemeral (containerDisk) or persistent (DataVolume).

/// A KubeVirt VirtualMachine.
public struct VirtualMachine: KubernetesObject, Hashable {
    /// API group and version.
    public var apiVersion = "kubevirt.io/v1"
    /// The object kind.
    public var kind = "VirtualMachine"
    /// Name, namespace, labels and annotations.
    public var metadata: ObjectMeta
    /// Run strategy, instancetype, disks, template.
    public var spec: Spec

    /// `spec` of a VirtualMachine.
    public struct Spec: Sendable, Hashable, Codable {
        /// `Always`, `Halted`, …
        public var runStrategy: String
        /// Instancetype matcher, when the image names one.
        public var instancetype: Matcher?
        /// Preference matcher, when the image names one.
        public var preference: Matcher?
        /// DataVolumes owned by the VM (persistent variant).
        public var dataVolumeTemplates: [DataVolumeTemplate]?
        /// The VMI template.
        public var template: Template
    }

    /// `spec.instancetype` / `spec.preference`.
    public struct Matcher: Sendable, Hashable, Codable {
        /// `VirtualMachineClusterInstancetype` or `VirtualMachineClusterPreference`.
        public var kind: String
        /// Its name.
        public var name: String
    }

    /// `spec.template`.
    public struct Template: Sendable, Hashable, Codable {
        /// Labels the Service selects on.
        public var metadata: ObjectMeta
        /// The VMI spec.
        public var spec: InstanceSpec
    }

    /// Creates a VirtualMachine.
    /// - Parameters:
    ///   - metadata: Metadata.
    ///   - spec: Spec.
    public init(metadata: ObjectMeta, spec: Spec) {
        self.metadata = metadata
        self.spec = spec
    }
}

/// `spec.template.spec` of a VirtualMachine (a VMI spec).
public struct InstanceSpec: Sendable, Hashable, Codable {
    /// The guest's CPU architecture (`arm64`), when it must be said: not for a single-architecture amd64 image
    /// (``ImageDescription/statedArchitecture``).
    public var architecture: String? = nil
    /// CPU, memory and devices.
    public var domain: Domain
    /// The pod network.
    public var networks: [Network]
    /// Ready when the web terminal (else the web desktop, else the guest agent) answers.
    public var readinessProbe: Probe?
    /// Seconds to shut down cleanly.
    public var terminationGracePeriodSeconds: Int
    /// Root disk, cloud-init, credentials.
    public var volumes: [Volume]

    /// `domain`.
    public struct Domain: Sendable, Hashable, Codable {
        /// Cores, when no instancetype.
        public var cpu: CPU?
        /// Memory request, when no instancetype.
        public var resources: ResourceRequirements?
        /// Disks and interfaces.
        public var devices: Devices
        /// SMM, when Secure Boot is stated here rather than by a preference (``InstanceSpec/Features``).
        public var features: Features? = nil
        /// The bootloader, when no preference brings it (``InstanceSpec/DomainFirmware``).
        public var firmware: DomainFirmware? = nil
    }

    /// `domain.cpu`.
    public struct CPU: Sendable, Hashable, Codable {
        /// Cores.
        public var cores: Int
    }

    /// `domain.devices`.
    public struct Devices: Sendable, Hashable, Codable {
        /// Disks, one per volume.
        public var disks: [Disk]
        /// Network interfaces.
        public var interfaces: [Interface]
        /// A virtio RNG, so the guest has entropy early (ssh keys, TLS).
        public var rng: EmptyObject
    }

    /// `domain.devices.disks[]`.
    public struct Disk: Sendable, Hashable, Codable {
        /// The volume's name.
        public var name: String
        /// Boot order (root disk: 1).
        public var bootOrder: Int?
        /// Serial, so the guest finds the disk under /dev/disk/by-id/virtio-<serial>.
        public var serial: String?
        /// A virtio disk.
        public var disk: Bus
    }

    /// `disk: {bus: virtio}`.
    public struct Bus: Sendable, Hashable, Codable {
        /// `virtio`.
        public var bus: String
    }

    /// `domain.devices.interfaces[]`.
    public struct Interface: Sendable, Hashable, Codable {
        /// Matches a network's name.
        public var name: String
        /// Masquerade binding (NAT behind the pod IP).
        public var masquerade: EmptyObject
        /// Ports forwarded to the guest: the agents'.
        public var ports: [Port]?
    }

    /// `interfaces[].ports[]`.
    public struct Port: Sendable, Hashable, Codable {
        /// `terminal` or `desktop`.
        public var name: String
        /// Guest port.
        public var port: Int
        /// `TCP`.
        public var `protocol`: String
    }

    /// `networks[]`.
    public struct Network: Sendable, Hashable, Codable {
        /// Name.
        public var name: String
        /// The pod network.
        public var pod: EmptyObject
    }

    /// `readinessProbe`.
    public struct Probe: Sendable, Hashable, Codable {
        /// An HTTP GET on the terminal port (when the agent answers without credentials).
        public var httpGet: HTTPGet?
        /// A TCP connect to the terminal port (when the agent asks for credentials, so GET would be 401).
        public var tcpSocket: TCPSocket?
        /// The QEMU guest agent answers `guest-ping` (an image without browser agents that runs the guest agent).
        public var guestAgentPing: EmptyObject? = nil
        /// Boot time before the first probe.
        public var initialDelaySeconds: Int
        /// Seconds between probes.
        public var periodSeconds: Int
        /// Seconds before a probe times out.
        public var timeoutSeconds: Int
        /// Failures before the VMI is not ready.
        public var failureThreshold: Int
    }

    /// `tcpSocket`.
    public struct TCPSocket: Sendable, Hashable, Codable {
        /// The port.
        public var port: Int
    }

    /// `httpGet`.
    public struct HTTPGet: Sendable, Hashable, Codable {
        /// The agent's base path.
        public var path: String
        /// The port.
        public var port: Int
    }

    /// `volumes[]`: exactly one source is set.
    public struct Volume: Sendable, Hashable, Codable {
        /// Name (matches a disk).
        public var name: String
        /// Ephemeral root disk.
        public var containerDisk: ContainerDisk?
        /// Persistent root disk.
        public var dataVolume: NameReference?
        /// cloud-init NoCloud.
        public var cloudInitNoCloud: CloudInitNoCloud?
        /// A Secret presented as a disk.
        public var secret: SecretVolume?
        /// A PVC by claim name (the persistent home: KubeVirt's GitOps-safe way to mount a DataVolume's PVC, left
        /// alone by a `VirtualMachineRestore` with `volumeRestorePolicy: InPlace`).
        public var persistentVolumeClaim: ClaimReference?

        /// Creates a volume with one source.
        public init(
            name: String, containerDisk: ContainerDisk? = nil, dataVolume: NameReference? = nil,
            cloudInitNoCloud: CloudInitNoCloud? = nil, secret: SecretVolume? = nil, persistentVolumeClaim: ClaimReference? = nil
        ) {
            self.name = name
            self.containerDisk = containerDisk
            self.dataVolume = dataVolume
            self.cloudInitNoCloud = cloudInitNoCloud
            self.secret = secret
            self.persistentVolumeClaim = persistentVolumeClaim
        }
    }

    /// `persistentVolumeClaim`.
    public struct ClaimReference: Sendable, Hashable, Codable {
        /// The PVC's name.
        public var claimName: String
    }

    /// `containerDisk`.
    public struct ContainerDisk: Sendable, Hashable, Codable {
        /// `registry/repository@sha256:…`.
        public var image: String
        /// `IfNotPresent`: the digest never changes.
        public var imagePullPolicy: String
    }

    /// `cloudInitNoCloud`.
    public struct CloudInitNoCloud: Sendable, Hashable, Codable {
        /// `#cloud-config` user data (no secrets in it).
        public var userData: String
    }

    /// `secret`.
    public struct SecretVolume: Sendable, Hashable, Codable {
        /// The Secret.
        public var secretName: String
        /// The ISO volume label the guest sees.
        public var volumeLabel: String?
    }
}
