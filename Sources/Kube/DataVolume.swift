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
    /// Where the data comes from.
    public var source: DataVolumeSource
    /// The PVC to make.
    public var storage: StorageSpec

    /// Creates a spec.
    /// - Parameters:
    ///   - source: Source.
    ///   - storage: Storage.
    public init(source: DataVolumeSource, storage: StorageSpec) {
        self.source = source
        self.storage = storage
    }
}

/// `spec.source` of a DataVolume: only the registry source is written.
public struct DataVolumeSource: Sendable, Hashable, Codable {
    /// Registry import.
    public var registry: RegistrySource

    /// Creates a registry source.
    /// - Parameter registry: The registry source.
    public init(registry: RegistrySource) { self.registry = registry }
}

/// `spec.source.registry`.
public struct RegistrySource: Sendable, Hashable, Codable {
    /// `docker://registry/repository@sha256:…` (or `:tag` for a DataImportCron).
    public var url: String
    /// Pull credentials Secret, if the registry needs one.
    public var secretRef: String?

    /// Creates a registry source.
    /// - Parameters:
    ///   - url: The docker:// URL.
    ///   - secretRef: Pull Secret, or nil.
    public init(url: String, secretRef: String? = nil) {
        self.url = url
        self.secretRef = secretRef
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
