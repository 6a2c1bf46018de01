// CDI DataVolume (cdi.kubevirt.io/v1beta1): imports the containerDisk from the registry into a PVC.

/// A CDI DataVolume.
public struct DataVolume: KubernetesObject, Hashable {
    /// API group and version.
    public var apiVersion = "cdi.kubevirt.io/v1beta1"
    /// The object kind.
    public var kind = "DataVolume"
    /// Name, namespace, labels and annotations.
    public var metadata: ObjectMeta
    /// What to import and where.
    public var spec: DataVolumeSpec

    /// Creates a DataVolume.
    /// - Parameters:
    ///   - metadata: Name, labels, annotations.
    ///   - spec: Source and storage.
    public init(metadata: ObjectMeta, spec: DataVolumeSpec) {
        self.metadata = metadata
        self.spec = spec
    }
}

/// `spec` of a DataVolume (also the spec of dataVolumeTemplates and DataImportCron templates).
public struct DataVolumeSpec: Sendable, Hashable, Codable {
    /// Where the data comes from (a registry import); nil when ``sourceRef`` names a DataSource.
    public var source: DataVolumeSource?
    /// A DataSource to clone from (a class's golden image).
    public var sourceRef: DataSourceReference?
    /// The PVC to make.
    public var storage: StorageSpec

    /// Creates a spec that imports from a source.
    /// - Parameters:
    ///   - source: Source.
    ///   - storage: Storage.
    public init(source: DataVolumeSource, storage: StorageSpec) {
        self.source = source
        sourceRef = nil
        self.storage = storage
    }

    /// Creates a spec that clones what a DataSource points at.
    /// - Parameters:
    ///   - sourceRef: The DataSource.
    ///   - storage: Storage (at least the source's size).
    public init(sourceRef: DataSourceReference, storage: StorageSpec) {
        source = nil
        self.sourceRef = sourceRef
        self.storage = storage
    }
}

/// `spec.sourceRef` of a DataVolume: clone the PVC a DataSource points at, possibly in another namespace.
public struct DataSourceReference: Sendable, Hashable, Codable {
    /// `DataSource`.
    public var kind: String
    /// The DataSource.
    public var name: String
    /// Its namespace; cloning across namespaces needs `create` on `datavolumes/source` there.
    public var namespace: String?

    /// Creates a reference to a DataSource.
    /// - Parameters:
    ///   - name: The DataSource.
    ///   - namespace: Its namespace, or nil for the DataVolume's own.
    public init(name: String, namespace: String?) {
        kind = "DataSource"
        self.name = name
        self.namespace = namespace
    }
}

/// `spec.source` of a DataVolume: a registry import, or a blank disk (exactly one is set).
public struct DataVolumeSource: Sendable, Hashable, Codable {
    /// Registry import.
    public var registry: RegistrySource?
    /// `blank: {}`: an empty PVC (a persistent home, formatted by the guest on first boot).
    public var blank: EmptyObject?

    /// Creates a registry source.
    /// - Parameter registry: The registry source.
    public init(registry: RegistrySource) {
        self.registry = registry
        blank = nil
    }

    private init(blank: EmptyObject) {
        registry = nil
        self.blank = blank
    }

    /// A blank disk.
    public static var blankDisk: DataVolumeSource { DataVolumeSource(blank: EmptyObject()) }
}

/// `spec.source.registry`.
public struct RegistrySource: Sendable, Hashable, Codable {
    /// `docker://registry/repository@sha256:…` (or `:tag` for a DataImportCron).
    public var url: String
    /// Pull credentials Secret, if the registry needs one.
    public var secretRef: String?
    /// The platform to import from an image index (a multi-architecture image); nil lets the importer pick.
    public var platform: RegistryPlatform?

    /// Creates a registry source.
    /// - Parameters:
    ///   - url: The docker:// URL.
    ///   - secretRef: Pull Secret, or nil.
    ///   - architecture: The architecture to import from an image index, or nil.
    public init(url: String, secretRef: String? = nil, architecture: String? = nil) {
        self.url = url
        self.secretRef = secretRef
        platform = architecture.map(RegistryPlatform.init(architecture:))
    }
}

/// `spec.source.registry.platform`: which of an image index's manifests CDI imports.
public struct RegistryPlatform: Sendable, Hashable, Codable {
    /// GOARCH-style architecture, e.g. `arm64`.
    public var architecture: String

    /// Creates a platform.
    /// - Parameter architecture: GOARCH-style architecture.
    public init(architecture: String) {
        self.architecture = architecture
    }
}

/// `spec.storage`: CDI picks access and volume modes from the StorageProfile.
public struct StorageSpec: Sendable, Hashable, Codable {
    /// Requested size.
    public var resources: ResourceRequirements
    /// StorageClass, or nil for the default.
    public var storageClassName: String?

    /// Creates a storage spec.
    /// - Parameters:
    ///   - size: Quantity, e.g. `12Gi`.
    ///   - storageClassName: StorageClass, or nil.
    public init(size: String, storageClassName: String? = nil) {
        resources = ResourceRequirements(requests: ["storage": size])
        self.storageClassName = storageClassName
    }
}

/// `dataVolumeTemplates[]` entry of a VirtualMachine.
public struct DataVolumeTemplate: Sendable, Hashable, Codable {
    /// Name (and labels) of the DataVolume the VM owns.
    public var metadata: ObjectMeta
    /// Its spec.
    public var spec: DataVolumeSpec

    /// Creates a template.
    /// - Parameters:
    ///   - metadata: Metadata.
    ///   - spec: Spec.
    public init(metadata: ObjectMeta, spec: DataVolumeSpec) {
        self.metadata = metadata
        self.spec = spec
    }
}
