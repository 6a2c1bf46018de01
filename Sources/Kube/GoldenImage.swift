// CDI DataSource and DataImportCron: a golden image in the cluster, kept fresh from the registry tag.

/// A CDI DataSource: a stable name VMs clone from; the DataImportCron points it at the newest import.
public struct DataSource: KubernetesObject, Hashable {
    /// API group and version.
    public var apiVersion = "cdi.kubevirt.io/v1beta1"
    /// The object kind.
    public var kind = "DataSource"
    /// Name, namespace, labels and annotations.
    public var metadata: ObjectMeta
    /// What it points at.
    public var spec: Spec

    /// `spec` of a DataSource.
    public struct Spec: Sendable, Hashable, Codable {
        /// The source; empty until the DataImportCron's first import fills it.
        public var source: Source
    }

    /// `spec.source`: a PVC in a namespace, or nothing yet.
    public struct Source: Sendable, Hashable, Codable {
        /// The PVC.
        public var pvc: PVCReference?
    }

    /// `{name, namespace}` of a PVC.
    public struct PVCReference: Sendable, Hashable, Codable {
        /// PVC name.
        public var name: String
        /// Its namespace.
        public var namespace: String
    }

    /// Creates a DataSource.
    /// - Parameters:
    ///   - metadata: Metadata.
    ///   - pvc: The PVC it points at, or nil to let the DataImportCron fill it.
    public init(metadata: ObjectMeta, pvc: PVCReference?) {
        self.metadata = metadata
        spec = Spec(source: Source(pvc: pvc))
    }
}

/// A CDI DataImportCron: polls a registry tag on a schedule and imports each new digest.
public struct DataImportCron: KubernetesObject, Hashable {
    /// API group and version.
    public var apiVersion = "cdi.kubevirt.io/v1beta1"
    /// The object kind.
    public var kind = "DataImportCron"
    /// Name, namespace, labels and annotations.
    public var metadata: ObjectMeta
    /// Schedule, template and the DataSource it manages.
    public var spec: Spec

    /// `spec` of a DataImportCron.
    public struct Spec: Sendable, Hashable, Codable {
        /// The DataVolume made for each new digest.
        public var template: Template
        /// Cron schedule.
        public var schedule: String
        /// `Outdated`: delete old imports beyond `importsToKeep`.
        public var garbageCollect: String
        /// How many imports to keep.
        public var importsToKeep: Int
        /// The DataSource kept pointing at the newest import.
        public var managedDataSource: String
    }

    /// `spec.template`: a DataVolume without kind.
    public struct Template: Sendable, Hashable, Codable {
        /// Labels and annotations of each import.
        public var metadata: ObjectMeta
        /// Source (the tag) and storage.
        public var spec: DataVolumeSpec
    }

    /// Creates a DataImportCron.
    /// - Parameters:
    ///   - metadata: Metadata.
    ///   - spec: Spec.
    public init(metadata: ObjectMeta, spec: Spec) {
        self.metadata = metadata
        self.spec = spec
    }
}
