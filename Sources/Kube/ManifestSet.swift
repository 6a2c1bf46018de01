// All the objects of one image's deployment, built from an ImageDescription and ManifestSettings.

/// The manifests of one image: golden image (DataVolume, DataSource, DataImportCron), the two VM variants, the
/// NetworkPolicy, the access Role, and, as ``RouteRule`` allows, the Service, the routes and the RoleBinding.
public struct ManifestSet: Sendable {
    /// The image.
    public let image: ImageDescription
    /// The settings.
    public let settings: ManifestSettings
    /// Registry import pinned by digest.
    public let dataVolume: DataVolume
    /// Golden image name VMs can clone.
    public let dataSource: DataSource
    /// Keeps the DataSource fresh from the tag.
    public let dataImportCron: DataImportCron
    /// Throw-away VM (containerDisk).
    public let ephemeralVM: VirtualMachine
    /// VM with its own PVC (dataVolumeTemplates).
    public let persistentVM: VirtualMachine
    /// With `--variant persistent-home`: the VM whose system disk is the containerDisk and whose `/home` is ``homeDataVolume``.
    public let persistentHomeVM: VirtualMachine?
    /// With `--variant persistent-home`: the blank DataVolume holding `/home`.
    public let homeDataVolume: DataVolume?
    /// The agents' ports (only with routes).
    public let service: Service?
    /// One Ingress per agent (routing `ingress`, with routes).
    public let ingresses: [Ingress]
    /// The HTTPRoute (routing `httproute`, with routes).
    public let httpRoute: HTTPRoute?
    /// Ingress only from the proxy namespace to the agents' ports (nothing without routes); egress DNS and the internet
    /// outside the cluster and metadata ranges.
    public let networkPolicy: NetworkPolicy
    /// Console/VNC/start/stop on these VMs only.
    public let role: Role
    /// Grants ``role`` to the identity given on the command line; nil without one.
    public let roleBinding: RoleBinding?
    /// The route rule's verdict: whether routes are written, warnings, notes.
    public let rule: RouteRule

    /// Names of the objects of one session.
    public struct Names: Sendable, Hashable {
        /// Golden image objects: DataVolume, DataSource, DataImportCron.
        public var golden: String
        /// Session base name: Service, HTTPRoute.
        public var session: String
        /// Ephemeral VM.
        public var ephemeralVM: String
        /// Persistent VM.
        public var persistentVM: String
        /// The persistent VM's DataVolume.
        public var persistentDisk: String
        /// The persistent-home VM (`--variant persistent-home`).
        public var persistentHomeVM: String
        /// The persistent-home VM's `/home` DataVolume (and PVC).
        public var homeDisk: String
        /// Role and RoleBinding.
        public var access: String
        /// NetworkPolicy.
        public var isolation: String
        /// Public path prefix, without slashes at the ends.
        public var pathPrefix: String

        /// Names given one by one, unchecked (the Classroom module names its seats so and checks them itself).
        /// - Parameters:
        ///   - golden: Golden image objects.
        ///   - session: Session base name.
        ///   - ephemeralVM: Ephemeral VM.
        ///   - persistentVM: Persistent VM.
        ///   - persistentDisk: The persistent VM's DataVolume.
        ///   - access: Role and RoleBinding.
        ///   - isolation: NetworkPolicy.
        ///   - pathPrefix: Public path prefix, without slashes at the ends.
        ///   - persistentHomeVM: The persistent-home VM, or nil for `persistentVM`.
        ///   - homeDisk: The `/home` DataVolume, or nil for `<session>-home`.
        package init(
            golden: String, session: String, ephemeralVM: String, persistentVM: String, persistentDisk: String, access: String,
            isolation: String, pathPrefix: String, persistentHomeVM: String? = nil, homeDisk: String? = nil
        ) {
            self.persistentHomeVM = persistentHomeVM ?? persistentVM
            self.homeDisk = homeDisk ?? "\(session)-home"
            self.golden = golden
            self.session = session
            self.ephemeralVM = ephemeralVM
            self.persistentVM = persistentVM
            self.persistentDisk = persistentDisk
            self.access = access
            self.isolation = isolation
            self.pathPrefix = pathPrefix
        }

        /// What ends the names of a multi-architecture image's objects run as another architecture than its default one
        /// (amd64 when the index holds it, else its first): `-arm64`. Each architecture's set is applied beside the
        /// others on a mixed cluster, so the two must not name a DataVolume, a DataImportCron, a VM or a Service alike
        /// (the second `kubectl apply` would overwrite the first). Empty for the default architecture and for a
        /// single-architecture image, whose names stay as they were.
        /// - Parameter image: The image.
        /// - Returns: `-<architecture>` or "".
        public static func architectureSuffix(of image: ImageDescription) -> String {
            guard image.isMultiArchitecture else { return "" }
            let defaultArchitecture = image.architectures.contains("amd64") ? "amd64" : image.architectures.first
            return image.architecture == defaultArchitecture ? "" : "-\(image.architecture)"
        }

        /// Derives and checks every name: the golden image's is the image's name (with ``architectureSuffix(of:)``),
        /// the session's that with `-<instance>`, the rest the session's with their own ending.
        /// - Parameters:
        ///   - image: The image.
        ///   - settings: The settings.
        /// - Throws: ``KubeError/invalidName(kind:name:reason:)`` naming the first bad one.
        public init(image: ImageDescription, settings: ManifestSettings) throws {
            let golden = image.name + Self.architectureSuffix(of: image)
            self.golden = golden
            session = settings.instance.map { "\(golden)-\($0)" } ?? golden
            ephemeralVM = "\(session)-ephemeral"
            persistentVM = "\(session)-persistent"
            persistentDisk = "\(session)-persistent-root"
            persistentHomeVM = "\(session)-persistent-home"
            homeDisk = "\(session)-home"
            access = "\(session)-access"
            isolation = "\(session)-isolation"
            pathPrefix = settings.pathPrefix.map { $0.split(separator: "/").joined(separator: "/") } ?? session
            try KubernetesName.checkLabel(golden, kind: "DataVolume")
            try KubernetesName.checkServiceName(session)
            for (kind, name) in [
                ("VirtualMachine", ephemeralVM), ("VirtualMachine", persistentVM), ("DataVolume", persistentDisk),
                ("Role", access), ("NetworkPolicy", isolation),
            ] {
                try KubernetesName.checkLabel(name, kind: kind)
            }
            for agent in image.agents { try KubernetesName.checkLabel("\(session)-\(agent.kind.rawValue)", kind: "Ingress") }
            if settings.variant == .persistentHome {
                try KubernetesName.checkLabel(persistentHomeVM, kind: "VirtualMachine")
                try KubernetesName.checkLabel(homeDisk, kind: "DataVolume")
            }
        }
    }

    /// The checked names.
    public let names: Names

    /// Builds every object, checking the image, the settings, the route rule and every name first.
    /// - Parameters:
    ///   - image: The image.
    ///   - settings: Deployment settings; the defaults write no routes and no RoleBinding.
    /// - Throws: ``KubeError``.
    public init(image: ImageDescription, settings: ManifestSettings = ManifestSettings()) throws {
        try image.validate()
        try settings.validate()
        let rule = try RouteRule(image: image, settings: settings, audience: .session(settings.accessSubject))
        let names = try Names(image: image, settings: settings)
        let builder = ManifestBuilder(image: image, settings: settings, names: names)
        self.image = image
        self.settings = settings
        self.names = names
        dataVolume = builder.dataVolume()
        dataSource = builder.dataSource()
        dataImportCron = builder.dataImportCron()
        ephemeralVM = try builder.virtualMachine(.ephemeral)
        persistentVM = try builder.virtualMachine(.persistent)
        persistentHomeVM = try settings.variant == .persistentHome ? builder.virtualMachine(.persistentHome) : nil
        homeDataVolume = settings.variant == .persistentHome ? builder.homeDataVolume(labels: builder.sessionLabels) : nil
        let identity = settings.accessSubject?.name
        service = rule.writesRoutes ? builder.service() : nil
        ingresses = rule.writesRoutes && settings.routing == .ingress ? builder.ingresses(seat: names.session, identity: identity) : []
        httpRoute = rule.writesRoutes && settings.routing == .httproute ? builder.httpRoute(seat: names.session, identity: identity) : nil
        networkPolicy = builder.isolationPolicy(
            name: names.isolation, labels: builder.sessionLabels, selector: ["app.kubernetes.io/instance": names.session], rule: rule,
            isolation: NetworkIsolation())
        role = builder.role()
        roleBinding = builder.roleBinding()
        self.rule = rule
    }

    /// The public URL path of an agent, e.g. `/alice-debian/terminal/`.
    /// - Parameter agent: The agent.
    /// - Returns: The path to open in a browser (noVNC with its `path` parameter).
    public func publicPath(of agent: ExposedAgent) -> String {
        ManifestSet.publicPath(of: agent, prefix: names.pathPrefix)
    }
}
