// The two kinds of lab image one recipe builds into.

/// What a recipe is built as.
public enum BuildTarget: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    /// A KubeVirt VM image: qcow2 disk, containerDisk OCI image (the default).
    case vm
    /// A pod lab: an OCI container image of the root tree, its agents under a small init (``ContainerPlan``).
    case container

    public var description: String { rawValue }
}
