// ResourceQuota (v1): caps what one student's namespace may use (CPU, memory, storage, object counts).

/// A ResourceQuota with hard limits.
public struct ResourceQuota: KubernetesObject, Hashable {
    /// API group and version.
    public var apiVersion = "v1"
    /// The object kind.
    public var kind = "ResourceQuota"
    /// Name and namespace.
    public var metadata: ObjectMeta
    /// The limits.
    public var spec: Spec

    /// `spec` of a ResourceQuota.
    public struct Spec: Sendable, Hashable, Codable {
        /// Resource name (`requests.cpu`, `limits.memory`, `count/virtualmachines.kubevirt.io`, …) → quantity.
        public var hard: StringMap
    }

    /// Creates a ResourceQuota.
    /// - Parameters:
    ///   - metadata: Name and namespace.
    ///   - hard: Resource name → quantity.
    public init(metadata: ObjectMeta, hard: StringMap) {
        self.metadata = metadata
        spec = Spec(hard: hard)
    }
}
