// Builds the golden-image objects and the two VirtualMachine variants from an image and settings.

/// Turns checked inputs into objects; every method is pure. Package-wide: the Classroom module builds each seat's
/// objects with it.
package struct ManifestBuilder {
    let image: ImageDescription
    let settings: ManifestSettings
    let names: ManifestSet.Names

    /// A builder for one session.
    /// - Parameters:
    ///   - image: The checked image.
    ///   - settings: The checked settings.
    ///   - names: The session's names.
    package init(image: ImageDescription, settings: ManifestSettings, names: ManifestSet.Names) {
        self.image = image
        self.settings = settings
        self.names = names
    }

    /// Labels every object carries.
    var commonLabels: StringMap {
        ["app.kubernetes.io/name": image.name, "app.kubernetes.io/managed-by": "labforge"]
    }

    /// Labels of per-session objects and of the VM pods (the Service selects on them).
    package var sessionLabels: StringMap {
        var labels = commonLabels
        labels["app.kubernetes.io/instance"] = names.session
        return labels
    }

    /// Where the image came from, for people reading the cluster.
    package var imageAnnotations: StringMap {
        ["labforge.dev/image": image.pinnedReference, "labforge.dev/version": image.version]
    }

    /// CDI copies these labels onto the PVC; KubeVirt infers the VM's instancetype from them.
    package var instancetypeLabels: StringMap {
        var labels = commonLabels
        if let instancetype = image.instancetype { labels["instancetype.kubevirt.io/default-instancetype"] = instancetype }
        if let preference = image.namedPreference { labels["instancetype.kubevirt.io/default-preference"] = preference }
        return labels
    }

    func meta(_ name: String, labels: StringMap, annotations: StringMap = [:]) -> ObjectMeta {
        ObjectMeta(name: name, namespace: settings.namespace, labels: labels, annotations: annotations)
    }

    /// The disk size (the image's virtual size plus file system overhead) and storage class.
    package var storage: StorageSpec {
        let gibibytes = Quantity.storageGibibytes(virtualSize: image.diskVirtualSize, filesystemOverhead: settings.filesystemOverhead)
        return StorageSpec(size: Quantity.gibibytes(gibibytes), storageClassName: settings.storageClassName)
    }

    var pinnedSource: DataVolumeSource {
        DataVolumeSource(registry: RegistrySource(url: "docker://\(image.pinnedReference)", architecture: image.importedArchitecture))
    }

    /// A VM's own DataVolume's import (`dataVolumeTemplates`), where the VirtualMachine schema of KubeVirt releases
    /// before CDI's `registry.platform` refuses that field: the platform's manifest by digest when known; else the pinned
    /// reference, with the platform only for a multi-architecture index (it cannot be imported right without).
    var ownSource: DataVolumeSource {
        let architecture = image.platformDigest == nil && image.isMultiArchitecture ? image.importedArchitecture : nil
        return DataVolumeSource(registry: RegistrySource(url: "docker://\(image.platformPinnedReference)", architecture: architecture))
    }

    /// The golden image's pinned registry import.
    package func dataVolume() -> DataVolume {
        var annotations = imageAnnotations
        // Golden images are imported right away, not when the first VM is scheduled.
        annotations["cdi.kubevirt.io/storage.bind.immediate.requested"] = "true"
        return DataVolume(
            metadata: meta(names.golden, labels: instancetypeLabels, annotations: annotations),
            spec: DataVolumeSpec(source: pinnedSource, storage: storage)
        )
    }

    /// The golden image's name for clones.
    package func dataSource() -> DataSource {
        // With a namespace the DataSource points at the pinned import until the cron's first import;
        // without one the cron fills it (CDI needs the namespace in spec.source.pvc).
        let pvc = settings.namespace.map { DataSource.PVCReference(name: names.golden, namespace: $0) }
        return DataSource(metadata: meta(names.golden, labels: instancetypeLabels, annotations: imageAnnotations), pvc: pvc)
    }

    /// Keeps the golden image fresh from the tag.
    package func dataImportCron() -> DataImportCron {
        let template = DataImportCron.Template(
            metadata: ObjectMeta(labels: instancetypeLabels, annotations: ["cdi.kubevirt.io/storage.bind.immediate.requested": "true"]),
            spec: DataVolumeSpec(
                source: DataVolumeSource(registry: RegistrySource(url: "docker://\(image.taggedReference)", architecture: image.importedArchitecture)),
                storage: storage)
        )
        return DataImportCron(
            metadata: meta(names.golden, labels: commonLabels, annotations: imageAnnotations),
            spec: DataImportCron.Spec(
                template: template, schedule: settings.importSchedule, garbageCollect: "Outdated", importsToKeep: 2,
                managedDataSource: names.golden
            )
        )
    }

    /// A blank DataVolume of ``ManifestSettings/homeSize`` for a persistent home (`<session>-home`): not owned by a VM, so
    /// deleting or restarting the VM keeps it; the guest formats it on first boot.
    /// - Parameter labels: Its labels (a class adds the student's), less `app.kubernetes.io/instance`, plus `labforge.dev/disk: home`.
    /// - Returns: The DataVolume.
    package func homeDataVolume(labels: StringMap) -> DataVolume {
        var homeLabels = labels
        homeLabels["labforge.dev/disk"] = "home"
        // CDI may copy a DataVolume's labels onto its worker pods: none of them may match the Service's selector.
        homeLabels["app.kubernetes.io/instance"] = nil
        return DataVolume(
            metadata: meta(names.homeDisk, labels: homeLabels, annotations: imageAnnotations),
            spec: DataVolumeSpec(source: .blankDisk, storage: StorageSpec(size: settings.homeSize, storageClassName: settings.storageClassName))
        )
    }

    /// The readiness probe: the web terminal (else the web desktop) by HTTP GET on its base path when it answers without
    /// credentials, else by TCP connect; with no browser agent, the guest agent's `guest-ping` when the image runs it; nil
    /// otherwise. KubeVirt takes one handler per probe, so a browser agent wins over the guest agent.
    var readinessProbe: InstanceSpec.Probe? {
        let probeAgent = image.agent(.terminal) ?? image.agent(.desktop)
        // An agent that asks for credentials (its recipe says so, or a credentials Secret is attached) answers a bare
        // GET with 401: then only the connection is checked. Agents of unknown auth (`--agent`) count as open.
        let answersWithoutCredentials = image.credentialsSecret == nil && probeAgent.map { $0.auth == nil || $0.auth == "none" } ?? true
        // TCG-booted guests take a while; 30 failures × 10 s leave five minutes.
        if let agent = probeAgent {
            return InstanceSpec.Probe(
                httpGet: answersWithoutCredentials ? .init(path: agent.basePath, port: agent.port) : nil,
                tcpSocket: answersWithoutCredentials ? nil : .init(port: agent.port), initialDelaySeconds: 20, periodSeconds: 10,
                timeoutSeconds: 5, failureThreshold: 30
            )
        }
        guard image.guestAgent else { return nil }
        return InstanceSpec.Probe(
            httpGet: nil, tcpSocket: nil, guestAgentPing: EmptyObject(), initialDelaySeconds: 20, periodSeconds: 10, timeoutSeconds: 5,
            failureThreshold: 30)
    }

    /// The session's VM of one variant.
    /// - Parameter variant: Ephemeral (containerDisk), persistent (its own DataVolume) or persistent-home (containerDisk and
    ///   the `/home` PVC ``ManifestSet/Names/homeDisk`` with serial ``VirtualMachineVariant/homeDiskSerial``).
    /// - Returns: The VM.
    /// - Throws: A Yams encoding error of the cloud-init user data.
    package func virtualMachine(_ variant: VirtualMachineVariant) throws -> VirtualMachine {
        let name = switch variant {
        case .ephemeral: names.ephemeralVM
        case .persistent: names.persistentVM
        case .persistentHome: names.persistentHomeVM
        }
        var volumes: [InstanceSpec.Volume] = []
        var disks: [InstanceSpec.Disk] = [InstanceSpec.Disk(name: "rootdisk", bootOrder: 1, serial: nil, disk: .init(bus: "virtio"))]
        var dataVolumeTemplates: [DataVolumeTemplate]?
        switch variant {
        case .ephemeral:
            volumes.append(.init(name: "rootdisk", containerDisk: .init(image: image.pinnedReference, imagePullPolicy: "IfNotPresent")))
        case .persistentHome:
            volumes.append(.init(name: "rootdisk", containerDisk: .init(image: image.pinnedReference, imagePullPolicy: "IfNotPresent")))
            volumes.append(.init(name: "home", persistentVolumeClaim: .init(claimName: names.homeDisk)))
            disks.append(.init(name: "home", bootOrder: nil, serial: VirtualMachineVariant.homeDiskSerial, disk: .init(bus: "virtio")))
        case .persistent:
            volumes.append(.init(name: "rootdisk", dataVolume: NameReference(name: names.persistentDisk)))
            dataVolumeTemplates = [
                DataVolumeTemplate(
                    metadata: ObjectMeta(name: names.persistentDisk, labels: instancetypeLabels),
                    spec: DataVolumeSpec(source: ownSource, storage: storage)
                )
            ]
        }
        let userData = try CloudConfig.lab(user: image.labUser).userData()
        volumes.append(.init(name: "cloudinit", cloudInitNoCloud: .init(userData: userData)))
        disks.append(.init(name: "cloudinit", bootOrder: nil, serial: nil, disk: .init(bus: "virtio")))
        if let secret = image.credentialsSecret {
            volumes.append(.init(name: "credentials", secret: .init(secretName: secret, volumeLabel: CloudConfig.secretDiskSerial)))
            disks.append(.init(name: "credentials", bootOrder: nil, serial: CloudConfig.secretDiskSerial, disk: .init(bus: "virtio")))
        }
        let ports = image.agents.map { InstanceSpec.Port(name: $0.kind.rawValue, port: $0.port, protocol: "TCP") }
        let usesInstancetype = image.instancetype != nil
        let stated = image.statedFirmware
        let domain = InstanceSpec.Domain(
            cpu: usesInstancetype ? nil : .init(cores: settings.cores),
            resources: usesInstancetype ? nil : ResourceRequirements(requests: ["memory": settings.memory]),
            devices: .init(
                disks: disks,
                interfaces: [.init(name: "default", masquerade: EmptyObject(), ports: ports.isEmpty ? nil : ports)],
                rng: EmptyObject()
            ),
            features: stated.flatMap(InstanceSpec.Features.init(booting:)),
            firmware: stated.map(InstanceSpec.DomainFirmware.init(booting:))
        )
        var templateLabels = sessionLabels
        templateLabels["labforge.dev/variant"] = variant.rawValue
        var vmAnnotations = imageAnnotations
        for agent in image.agents {
            vmAnnotations["labforge.dev/\(agent.kind.rawValue)-path"] = ManifestSet.publicPath(of: agent, prefix: names.pathPrefix)
        }
        return VirtualMachine(
            metadata: meta(name, labels: sessionLabels, annotations: vmAnnotations),
            spec: .init(
                runStrategy: settings.runStrategy(for: image).rawValue,
                instancetype: image.instancetype.map { .init(kind: "VirtualMachineClusterInstancetype", name: $0) },
                preference: image.namedPreference.map { .init(kind: "VirtualMachineClusterPreference", name: $0) },
                dataVolumeTemplates: dataVolumeTemplates,
                template: .init(
                    metadata: ObjectMeta(labels: templateLabels),
                    spec: InstanceSpec(
                        architecture: image.statedArchitecture, domain: domain, networks: [.init(name: "default", pod: EmptyObject())], readinessProbe: readinessProbe,
                        terminationGracePeriodSeconds: 30, volumes: volumes
                    )
                )
            )
        )
    }
}
