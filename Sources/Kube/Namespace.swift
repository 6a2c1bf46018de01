// Namespace (v1): one per student when a class isolates students by namespace.

/// A Namespace.
public struct Namespace: KubernetesObject, Hashable {
    /// API group and version.
    public var apiVersion = "v1"
    /// The object kind.
    public var kind = "Namespace"
    /// Name and labels (no namespace).
    public var metadata: ObjectMeta

    /// Creates a Namespace.
    /// - Parameter metadata: Name and labels.
    public init(metadata: ObjectMeta) { self.metadata = metadata }
}
