// Choices made at deployment time, not at build time: namespace, run strategy, routing, sizes, schedule.
import LabforgeRecipe

/// How a VirtualMachine is kept running (KubeVirt `spec.runStrategy`).
public enum RunStrategy: String, Sendable, Hashable, Codable, CaseIterable {
    /// Always running; restarted when it stops.
    case always = "Always"
    /// Stopped until someone starts it (the default: a lab user starts their VM).
    case halted = "Halted"
    /// Started and stopped only by hand.
    case manual = "Manual"
    /// Restarted only after a failure.
    case rerunOnFailure = "RerunOnFailure"
    /// Run once to completion.
    case once = "Once"

    /// The strategy under which a guest's own power-off (an idle stop, a time limit, `poweroff`) leaves the VM stopped:
    /// `Always` becomes `RerunOnFailure` (running now, restarted only after an infrastructure failure) and `Halted`
    /// becomes `Manual` (stopped until started; `virtctl start` keeps `Manual`, where it turns `Halted` into `Always`).
    /// The others already leave a powered-off guest stopped.
    public var keepingGuestPowerOff: RunStrategy {
        switch self {
        case .always: return .rerunOnFailure
        case .halted: return .manual
        case .manual, .rerunOnFailure, .once: return self
        }
    }
}

/// Which route object is written (the default is the Gateway API's HTTPRoute).
public enum RoutingKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// networking.k8s.io/v1 Ingress with ingress-nginx annotations (rewrites, WebSocket timeouts, external auth).
    /// Ingress NGINX was retired in March 2026 (no fixes, no security patches): kept for clusters that still run it.
    case ingress
    /// Gateway API HTTPRoute attached to a Gateway given with `--gateway` (the default).
    case httproute
}

/// Which VirtualMachine variant the kustomization lists (ephemeral and persistent are always written, persistent-home
/// when chosen).
public enum VirtualMachineVariant: String, Sendable, Hashable, Codable, CaseIterable {
    /// containerDisk volume: a throw-away lab session, nothing kept.
    case ephemeral
    /// dataVolumeTemplates: a PVC per VM, work is kept.
    case persistent
    /// containerDisk system disk (a restart is a reset) and a blank per-session PVC mounted on `/home` in the guest
    /// (disk serial ``VirtualMachineVariant/homeDiskSerial``; the image's `PersistentHome` component formats and mounts it).
    case persistentHome = "persistent-home"

    /// The serial of the home disk: the guest finds it as `/dev/disk/by-id/virtio-lab-home`.
    public static let homeDiskSerial = PersistentHome.diskSerial

    /// Whether work survives a restart (a PVC holds the whole disk or `/home`): these variants get snapshots.
    public var keepsWork: Bool { self != .ephemeral }
}

/// Deployment-time settings for the manifests of one image.
public struct ManifestSettings: Sendable, Hashable, Codable {
    /// Namespace written on every object and in the kustomization; nil leaves it to `kubectl -n`.
    public var namespace: String?
    /// Names one lab session (e.g. a user): per-session objects are named `<image>-<instance>`.
    public var instance: String?
    /// The run strategy of both VirtualMachines.
    public var runStrategy: RunStrategy
    /// CPU cores when no instancetype is known.
    public var cores: Int
    /// Guest memory when no instancetype is known (a Kubernetes quantity).
    public var memory: String
    /// Filesystem overhead added to the virtual size for PVCs, as a fraction (CDI's default 0.055).
    public var filesystemOverhead: Double
    /// StorageClass of the PVCs; nil for the cluster default.
    public var storageClassName: String?
    /// Public path prefix of the routes, without slashes; nil for the session's object name.
    public var pathPrefix: String?
    /// Host name of the routes; nil for any host.
    public var host: String?
    /// IngressClass; nil for the cluster default.
    public var ingressClassName: String?
    /// Gateway the HTTPRoute attaches to; required when HTTPRoutes are written.
    public var gatewayName: String?
    /// Namespace of that Gateway; nil for the route's own.
    public var gatewayNamespace: String?
    /// Cron schedule of the DataImportCron.
    public var importSchedule: String
    /// The identity the RoleBinding grants console/VNC/start/stop to, and the one the routes admit; nil writes no
    /// RoleBinding (never a default: the guest's user name would match any cluster identity of that name).
    public var accessSubject: AccessSubject?
    /// Route object written.
    public var routing: RoutingKind
    /// TLS and authentication of the routes (``RouteRule`` decides whether routes are written).
    public var routes: RouteProtection
    /// Namespace of the ingress controller's or Gateway's proxy pods, the only pods the NetworkPolicy lets reach the
    /// agents; nil for `ingress-nginx` with `--routing ingress` and the Gateway's namespace with `httproute`.
    public var proxyNamespace: String?
    /// Accept an identity Kubernetes reserves (`system:…`) as ``accessSubject`` (`--allow-system-identities`).
    public var allowSystemIdentities = false
    /// VirtualMachine variant listed in the kustomization.
    public var variant: VirtualMachineVariant
    /// Whether a guest's own power-off leaves the VM stopped (``RunStrategy/keepingGuestPowerOff``): for images that stop
    /// themselves when idle or at a time limit (`--stop-on-poweroff`).
    public var stopOnPowerOff = false
    /// Size of each persistent-home PVC (a Kubernetes quantity, `--home-size`).
    public var homeSize = "5Gi"

    /// The run strategy the VirtualMachines state: ``runStrategy``, or with ``stopOnPowerOff`` its
    /// ``RunStrategy/keepingGuestPowerOff``.
    public var effectiveRunStrategy: RunStrategy { stopOnPowerOff ? runStrategy.keepingGuestPowerOff : runStrategy }

    /// The run strategy `image`'s VirtualMachines state: ``effectiveRunStrategy``, and its
    /// ``RunStrategy/keepingGuestPowerOff`` whenever the image powers itself off (``ImageDescription/stopsItself``), with
    /// or without `--stop-on-poweroff`.
    /// - Parameter image: The image.
    /// - Returns: The strategy.
    public func runStrategy(for image: ImageDescription) -> RunStrategy {
        image.stopsItself ? runStrategy.keepingGuestPowerOff : effectiveRunStrategy
    }

    /// Creates settings; every parameter has a usable default.
    /// - Parameters:
    ///   - namespace: Namespace, or nil.
    ///   - instance: Session name, or nil.
    ///   - runStrategy: VM run strategy.
    ///   - cores: Cores without instancetype.
    ///   - memory: Memory without instancetype.
    ///   - filesystemOverhead: PVC overhead fraction.
    ///   - storageClassName: StorageClass, or nil.
    ///   - pathPrefix: Route prefix, or nil.
    ///   - host: Route host, or nil.
    ///   - ingressClassName: IngressClass, or nil.
    ///   - gatewayName: Gateway name, or nil.
    ///   - gatewayNamespace: Gateway namespace, or nil.
    ///   - importSchedule: DataImportCron schedule.
    ///   - accessSubject: The identity given access, or nil for no RoleBinding.
    ///   - routing: Route kind.
    ///   - variant: VM listed in the kustomization.
    ///   - routes: TLS and authentication of the routes.
    ///   - proxyNamespace: Namespace of the proxy pods, or nil for the routing kind's default.
    public init(
        namespace: String? = nil, instance: String? = nil, runStrategy: RunStrategy = .halted, cores: Int = 2,
        memory: String = "2Gi", filesystemOverhead: Double = 0.055, storageClassName: String? = nil,
        pathPrefix: String? = nil, host: String? = nil, ingressClassName: String? = nil,
        gatewayName: String? = nil, gatewayNamespace: String? = nil, importSchedule: String = "0 3 * * *",
        accessSubject: AccessSubject? = nil, routing: RoutingKind = .httproute, variant: VirtualMachineVariant = .ephemeral,
        routes: RouteProtection = RouteProtection(), proxyNamespace: String? = nil
    ) {
        self.namespace = namespace
        self.instance = instance
        self.runStrategy = runStrategy
        self.cores = cores
        self.memory = memory
        self.filesystemOverhead = filesystemOverhead
        self.storageClassName = storageClassName
        self.pathPrefix = pathPrefix
        self.host = host
        self.ingressClassName = ingressClassName
        self.gatewayName = gatewayName
        self.gatewayNamespace = gatewayNamespace
        self.importSchedule = importSchedule
        self.accessSubject = accessSubject
        self.routing = routing
        self.variant = variant
        self.routes = routes
        self.proxyNamespace = proxyNamespace
    }

    /// The namespace whose pods may reach the agents: ``proxyNamespace``, else `ingress-nginx` for an Ingress, else
    /// the Gateway's namespace (the routes' own when `--gateway` names none); nil when that is not known.
    public var resolvedProxyNamespace: String? {
        if let proxyNamespace { return proxyNamespace }
        switch routing {
        case .ingress: return "ingress-nginx"
        case .httproute: return gatewayNamespace ?? namespace
        }
    }

    /// Checks ranges and names.
    /// - Throws: ``KubeError``.
    public func validate() throws {
        if let namespace { try KubernetesName.checkLabel(namespace, kind: "Namespace") }
        if let gatewayNamespace { try KubernetesName.checkLabel(gatewayNamespace, kind: "Gateway namespace") }
        if let gatewayName { try KubernetesName.checkLabel(gatewayName, kind: "Gateway") }
        if let proxyNamespace { try KubernetesName.checkLabel(proxyNamespace, kind: "proxy namespace") }
        if let accessSubject, accessSubject.isSystemIdentity, !allowSystemIdentities {
            throw KubeError.invalidSetting(name: "--access-user", value: accessSubject.description, reason: accessSubject.systemIdentityProblem(student: nil))
        }
        guard (1...1024).contains(cores) else {
            throw KubeError.invalidSetting(name: "cores", value: "\(cores)", reason: "expected 1–1024")
        }
        guard Quantity.isValid(homeSize) else {
            throw KubeError.invalidSetting(name: "--home-size", value: homeSize, reason: "not a Kubernetes quantity such as 5Gi")
        }
        guard Quantity.isValid(memory) else {
            throw KubeError.invalidSetting(name: "memory", value: memory, reason: "not a Kubernetes quantity such as 2Gi or 512Mi")
        }
        guard filesystemOverhead >= 0, filesystemOverhead < 1 else {
            throw KubeError.invalidSetting(name: "filesystem overhead", value: "\(filesystemOverhead)", reason: "expected a fraction in [0, 1), e.g. 0.055")
        }
        if let pathPrefix {
            let ok = pathPrefix.split(separator: "/").allSatisfy { part in
                !part.isEmpty && part.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-._~".contains($0)) }
            }
            guard ok, !pathPrefix.isEmpty else {
                throw KubeError.invalidSetting(name: "path prefix", value: pathPrefix, reason: "use letters, digits, - . _ ~ and / between segments")
            }
        }
        let fields = importSchedule.split(separator: " ")
        guard fields.count == 5 || importSchedule.hasPrefix("@") else {
            throw KubeError.invalidSetting(name: "import schedule", value: importSchedule, reason: "expected a 5-field cron expression such as '0 3 * * *'")
        }
    }
}
