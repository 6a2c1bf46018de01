// Builds a class's objects: the golden image, one seat per student or one pool, each from ManifestBuilder's VM.
import Kube

/// Turns checked class inputs into objects; every method is pure.
struct ClassBuilder {
    let image: ImageDescription
    let settings: ManifestSettings
    let classSettings: ClassSettings
    let namespace: String
    let rule: RouteRule
    var routesWritten: Bool { rule.writesRoutes }
    var warnings: [String] { rule.warnings }
    /// What a roster class does not grant: snapshots in a shared namespace (RBAC cannot limit `create` to one VM).
    var notes: [String] {
        guard settings.variant.keepsWork, !classSettings.namespacePerStudent else { return [] }
        return [
            "students may not snapshot or restore their VMs in the shared namespace \(namespace) (Kubernetes RBAC cannot limit creating a VirtualMachineSnapshot or VirtualMachineRestore to one VM); the teacher applies students/<id>/\(ClassManifests.examplesDirectory)/, or use --namespace-per-student"
        ]
    }

    /// Label of every object of a class, with the class namespace as value.
    static let classLabel = "labforge.dev/class"
    /// Label of a student's objects and VM pod.
    static let studentLabel = "labforge.dev/student"
    /// Label of a pool's VMs and pods.
    static let poolLabel = "labforge.dev/pool"
    /// Label of the objects of one pool VM (its Secret, Service, routes).
    static let seatLabel = "labforge.dev/seat"
    /// KubeVirt's label on a VM's virt-launcher pod, naming the VM.
    static let virtualMachineNameLabel = "vm.kubevirt.io/name"

    static func poolName(_ image: ImageDescription) -> String { "\(image.name)-pool" }

    init(image: ImageDescription, settings: ManifestSettings, classSettings: ClassSettings, audience: RouteRule.Audience) throws {
        try image.validate()
        try settings.validate()
        guard image.credentialsSecret == nil else {
            throw KubeError.invalidSetting(
                name: "--credentials-secret", value: image.credentialsSecret ?? "", reason: "a class writes one Secret per VM; drop the option")
        }
        for (option, value) in [("--instance", settings.instance), ("--access-user", settings.accessSubject?.description)] {
            if let value {
                throw KubeError.invalidSetting(name: option, value: value, reason: "a class names sessions after roster ids and grants access to roster identities")
            }
        }
        rule = try classSettings.validate(deployment: settings, image: image, audience: audience)
        self.image = image
        self.settings = settings
        self.classSettings = classSettings
        namespace = settings.namespace ?? ""
    }

    /// A ManifestBuilder for one seat: its image names the seat's Secret, its settings the seat's namespace
    /// and path prefix.
    func seatBuilder(session: String, vm: String, namespace: String, pathPrefix: String, secret: String) -> ManifestBuilder {
        var seatImage = image
        seatImage.credentialsSecret = secret
        var seatSettings = settings
        seatSettings.namespace = namespace
        seatSettings.pathPrefix = pathPrefix
        return ManifestBuilder(
            image: seatImage, settings: seatSettings,
            names: ManifestSet.Names(session: session, virtualMachine: vm, image: image, pathPrefix: pathPrefix)
        )
    }

    var commonLabels: StringMap {
        ["app.kubernetes.io/name": image.name, "app.kubernetes.io/managed-by": "labforge", Self.classLabel: namespace]
    }

    func golden() -> GoldenImageObjects? {
        guard settings.variant == .persistent else { return nil }
        let builder = ManifestBuilder(image: image, settings: settings, names: .golden(image))
        let cloneRole = classSettings.namespacePerStudent
            ? Role(
                metadata: ObjectMeta(name: cloneRoleName, namespace: namespace, labels: commonLabels),
                rules: [PolicyRule(apiGroups: ["cdi.kubevirt.io"], resources: ["datavolumes/source"], resourceNames: nil, verbs: ["create"])]
            ) : nil
        return GoldenImageObjects(
            dataVolume: builder.dataVolume(), dataSource: builder.dataSource(), dataImportCron: builder.dataImportCron(), cloneRole: cloneRole
        )
    }

    var cloneRoleName: String { "\(image.name)-clone-source" }

    /// The VM of a seat: ManifestBuilder's, with a persistent disk cloned from the golden DataSource.
    func virtualMachine(_ builder: ManifestBuilder, diskName: String) throws -> VirtualMachine {
        var vm = try builder.virtualMachine(settings.variant)
        if settings.variant == .persistent {
            vm.spec.dataVolumeTemplates = [
                DataVolumeTemplate(
                    metadata: ObjectMeta(name: diskName, labels: builder.instancetypeLabels),
                    spec: DataVolumeSpec(sourceRef: DataSourceReference(name: image.name, namespace: namespace), storage: builder.storage)
                )
            ]
        }
        if case .proxyHeader(let header) = settings.routes.authentication, routesWritten {
            vm.metadata.annotations?["labforge.dev/auth-header"] = header
        }
        return vm
    }

    /// Checks a name made from a seat id, naming the student in the error.
    func check(_ names: [(kind: String, name: String)], service: String, student: Student?, seat: String) throws {
        do {
            try KubernetesName.checkServiceName(service)
            for (kind, name) in names { try KubernetesName.checkLabel(name, kind: kind) }
        } catch KubeError.invalidName(let kind, let name, let reason) {
            throw ClassError.studentName(id: seat, location: student?.location, kind: kind, name: name, reason: reason)
        }
    }

    func agentNames(_ session: String) -> [(kind: String, name: String)] {
        routesWritten && settings.routing == .ingress ? image.agents.map { ("Ingress", "\(session)-\($0.kind.rawValue)") } : []
    }

    /// `/<prefix>/<seat>` without slashes at the ends.
    func pathPrefix(_ seat: String) -> String {
        settings.pathPrefix.map { "\($0.split(separator: "/").joined(separator: "/"))/\(seat)" } ?? seat
    }
}

extension ManifestSet.Names {
    /// The golden image's names (only `golden` is used).
    static func golden(_ image: ImageDescription) -> ManifestSet.Names {
        ManifestSet.Names(session: image.name, virtualMachine: image.name, image: image, pathPrefix: image.name)
    }

    /// Names of one class seat: one VM (either variant) named `vm`, its disk `<vm>-root`.
    init(session: String, virtualMachine: String, image: ImageDescription, pathPrefix: String) {
        self.init(
            golden: image.name, session: session, ephemeralVM: virtualMachine, persistentVM: virtualMachine,
            persistentDisk: "\(virtualMachine)-root", access: "\(session)-access", isolation: "\(session)-isolation", pathPrefix: pathPrefix)
    }
}
