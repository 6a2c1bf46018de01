// A class of lab VMs: per student a Secret, a VM, access, isolation and routes; or one pool of anonymous VMs.
import Kube

/// The golden image a persistent class clones from, and the permission to clone it from other namespaces.
public struct GoldenImageObjects: Sendable, Hashable {
    /// Registry import pinned by digest.
    public let dataVolume: DataVolume
    /// The name students' DataVolumes clone (`sourceRef`).
    public let dataSource: DataSource
    /// Keeps the DataSource fresh from the tag.
    public let dataImportCron: DataImportCron
    /// `create` on `cdi.kubevirt.io` `datavolumes/source` in the golden namespace, when students have their own.
    public let cloneRole: Role?
}

/// Everything one student gets.
public struct StudentManifests: Sendable, Hashable {
    /// The student.
    public let student: Student
    /// The namespace of the student's objects.
    public let namespace: String
    /// The student's own Namespace (with `--namespace-per-student`).
    public let namespaceObject: Namespace?
    /// Its quota (with `--quota`).
    public let quota: ResourceQuota?
    /// The generated credentials, attached to the VM as the `labcreds` disk.
    public let secret: Secret
    /// The student's VM.
    public let virtualMachine: VirtualMachine
    /// The blank DataVolume holding the student's `/home` (persistent-home variant).
    public let homeDataVolume: DataVolume?
    /// An example snapshot of the student's VM (variants that keep work), written under `examples/`, not applied.
    public let snapshot: VirtualMachineSnapshot?
    /// An example restore of ``snapshot`` onto the student's VM, written under `examples/`, not applied.
    public let restore: VirtualMachineRestore?
    /// get VM/VMI, console, VNC, start/stop/restart on that VM only.
    public let role: Role
    /// Grants ``role`` to the roster identity.
    public let roleBinding: RoleBinding
    /// Lets the namespace's `default` ServiceAccount clone the golden image (persistent, own namespace).
    public let cloneBinding: RoleBinding?
    /// Ingress only from the proxy namespace on the agent ports; egress DNS and the internet outside denied ranges.
    public let networkPolicy: NetworkPolicy
    /// The agents' ports (with routes).
    public let service: Service?
    /// One Ingress per agent (routing ingress).
    public let ingresses: [Ingress]
    /// The HTTPRoute (routing httproute).
    public let httpRoute: HTTPRoute?
    /// Agent → URL (or path, without a host).
    public let urls: [AgentKind: String]
}

/// An anonymous workshop: one VirtualMachinePool of N VMs, each with its own Secret and routes.
public struct PoolManifests: Sendable, Hashable {
    /// The pool.
    public let pool: VirtualMachinePool
    /// `<pool>-credentials-<index>`, one per VM (the pool appends the index to the template's Secret name).
    public let secrets: [Secret]
    /// Isolates every VM of the pool.
    public let networkPolicy: NetworkPolicy
    /// One Service per VM, selecting its pod by `vm.kubevirt.io/name`.
    public let services: [Service]
    /// Ingresses of every VM (routing ingress).
    public let ingresses: [Ingress]
    /// One HTTPRoute per VM (routing httproute).
    public let httpRoutes: [HTTPRoute]
    /// VM names `<pool>-<index>`.
    public let virtualMachineNames: [String]
    /// Per VM: agent → URL.
    public let urls: [[AgentKind: String]]
}

/// All objects of a class, checked and ready to render; pure values, no I/O.
public struct ClassManifests: Sendable {
    /// The image every VM boots.
    public let image: ImageDescription
    /// Class-wide deployment settings; `namespace` is the class's (golden image, shared student objects).
    public let settings: ManifestSettings
    /// Isolation, namespaces, quota.
    public let classSettings: ClassSettings
    /// The golden image (persistent VMs only).
    public let golden: GoldenImageObjects?
    /// One entry per student (empty for a pool).
    public let students: [StudentManifests]
    /// The pool (nil for a roster).
    public let pool: PoolManifests?
    /// Unsafe choices the user accepted, for standard error.
    public let warnings: [String]
    /// What the class does not grant and why (e.g. snapshots in a shared namespace), for standard error.
    public let notes: [String]
    /// Seat id → credentials.
    let credentials: [String: LabCredentials]

    /// The class namespace.
    public var namespace: String { settings.namespace ?? "" }

    /// Builds a class for a roster.
    /// - Parameters:
    ///   - image: The image.
    ///   - settings: Deployment settings (`namespace` required; `instance`, `accessSubject` unused).
    ///   - classSettings: Class settings.
    ///   - roster: The students.
    ///   - credentials: Credentials for every student id.
    /// - Throws: ``KubeError`` or ``ClassError``.
    public init(
        image: ImageDescription, settings: ManifestSettings, classSettings: ClassSettings, roster: Roster,
        credentials: [String: LabCredentials]
    ) throws {
        guard !roster.students.isEmpty else {
            throw ClassError.roster("no students: pass --roster FILE or --student ID=IDENTITY (or --pool N for an anonymous workshop)")
        }
        try image.checkSupports(settings.variant)
        let builder = try ClassBuilder(image: image, settings: settings, classSettings: classSettings, audience: .seats(roster.students))
        self.image = image
        self.settings = settings
        self.classSettings = classSettings
        golden = builder.golden()
        students = try roster.students.map { student in
            guard let seat = credentials[student.id] else { throw ClassError.roster("no credentials for student '\(student.id)'") }
            return try builder.student(student, credentials: seat)
        }
        pool = nil
        warnings = builder.warnings
        notes = builder.notes
        self.credentials = credentials
    }

    /// Builds an anonymous pool of `size` VMs.
    /// - Parameters:
    ///   - image: The image.
    ///   - settings: Deployment settings (`namespace` required).
    ///   - classSettings: Class settings (`namespacePerStudent` must be off).
    ///   - poolSize: Number of VMs, 1–500.
    ///   - credentials: Credentials for every name of ``poolVirtualMachineNames(image:size:)``.
    /// - Throws: ``KubeError`` or ``ClassError``.
    public init(
        image: ImageDescription, settings: ManifestSettings, classSettings: ClassSettings, poolSize: Int,
        credentials: [String: LabCredentials]
    ) throws {
        guard (1...500).contains(poolSize) else {
            throw KubeError.invalidSetting(name: "--pool", value: "\(poolSize)", reason: "expected 1–500 VMs")
        }
        guard !classSettings.namespacePerStudent, classSettings.quota.isEmpty else {
            throw KubeError.invalidSetting(
                name: "--namespace-per-student", value: "with --pool", reason: "a pool lives in one namespace; drop --namespace-per-student and --quota")
        }
        guard settings.variant != .persistentHome else {
            throw KubeError.invalidSetting(
                name: "--variant", value: "persistent-home with --pool",
                reason: "a pool's VMs are anonymous and replaceable, so nobody's home outlives them; give a roster (--roster or --student) for per-student homes")
        }
        let builder = try ClassBuilder(image: image, settings: settings, classSettings: classSettings, audience: .pool)
        self.image = image
        self.settings = settings
        self.classSettings = classSettings
        golden = builder.golden()
        students = []
        pool = try builder.pool(size: poolSize, credentials: credentials)
        warnings = builder.warnings
        notes = []
        self.credentials = credentials
    }

    /// The VM names of a pool, which are also its seats in the credentials file.
    /// - Parameters:
    ///   - image: The image.
    ///   - size: Number of VMs.
    /// - Returns: `<image>-pool-0` … `<image>-pool-<size-1>`.
    public static func poolVirtualMachineNames(image: ImageDescription, size: Int) -> [String] {
        (0..<max(size, 0)).map { "\(ClassBuilder.poolName(image))-\($0)" }
    }

    /// One record per seat for the teacher's credentials file.
    public var credentialsRecords: [CredentialsRecord] {
        if let pool {
            return zip(pool.virtualMachineNames, pool.urls).compactMap { name, urls in
                credentials[name].map {
                    CredentialsRecord(
                        seat: name, identity: "-", namespace: namespace, virtualMachine: name, terminalURL: urls[.terminal],
                        desktopURL: urls[.desktop], credentials: $0)
                }
            }
        }
        return students.compactMap { seat in
            credentials[seat.student.id].map {
                CredentialsRecord(
                    seat: seat.student.id, identity: seat.student.subject.description, namespace: seat.namespace,
                    virtualMachine: seat.virtualMachine.metadata.name ?? "", terminalURL: seat.urls[.terminal], desktopURL: seat.urls[.desktop],
                    credentials: $0)
            }
        }
    }
}
