// KubeVirt VirtualMachineSnapshot and VirtualMachineRestore (snapshot.kubevirt.io/v1beta1): save and restore a lab VM.

/// An object of KubeVirt's `snapshot.kubevirt.io/v1beta1` group; its kind follows from its spec.
public struct SnapshotObject<Spec: SnapshotSpec>: KubernetesObject, Hashable {
    /// API group and version.
    public var apiVersion = "snapshot.kubevirt.io/v1beta1"
    /// The object kind (``SnapshotSpec/kind``).
    public var kind = Spec.kind
    /// Name, namespace, labels.
    public var metadata: ObjectMeta
    /// What it snapshots or restores.
    public var spec: Spec
}

/// The spec of a ``SnapshotObject``, naming its kind.
public protocol SnapshotSpec: Sendable, Hashable, Codable {
    /// `VirtualMachineSnapshot` or `VirtualMachineRestore`.
    static var kind: String { get }
}

/// A KubeVirt VirtualMachineSnapshot: the VM's spec and a CSI VolumeSnapshot of each of its PVCs (a containerDisk, the
/// cloud-init and the Secret volumes are not snapshotted: a persistent-home snapshot holds `/home`).
public typealias VirtualMachineSnapshot = SnapshotObject<VirtualMachineSnapshotSpec>

/// A KubeVirt VirtualMachineRestore: writes a snapshot back onto its VM.
public typealias VirtualMachineRestore = SnapshotObject<VirtualMachineRestoreSpec>

/// The VirtualMachine a snapshot is taken of or a restore writes to (a `TypedLocalObjectReference`).
public struct VirtualMachineReference: Sendable, Hashable, Codable {
    /// `kubevirt.io`.
    public var apiGroup = "kubevirt.io"
    /// `VirtualMachine`.
    public var kind = "VirtualMachine"
    /// The VM, in the object's own namespace.
    public var name: String

    /// A reference to a VM.
    /// - Parameter name: The VM's name.
    public init(name: String) { self.name = name }
}

/// `spec` of a VirtualMachineSnapshot.
public struct VirtualMachineSnapshotSpec: SnapshotSpec {
    /// `VirtualMachineSnapshot`.
    public static let kind = "VirtualMachineSnapshot"
    /// The VM to snapshot.
    public var source: VirtualMachineReference
}

/// `spec` of a VirtualMachineRestore.
public struct VirtualMachineRestoreSpec: SnapshotSpec {
    /// `VirtualMachineRestore`.
    public static let kind = "VirtualMachineRestore"
    /// The VM restored.
    public var target: VirtualMachineReference
    /// The snapshot restored from.
    public var virtualMachineSnapshotName: String
    /// `StopTarget`: KubeVirt stops a running VM first instead of waiting five minutes for someone to.
    public var targetReadinessPolicy = "StopTarget"
    /// `InPlace`: the restored PVCs keep their names (the class's home DataVolume stays the VM's disk, and a re-apply of
    /// the class finds its objects unchanged); the old PVCs are deleted first.
    public var volumeRestorePolicy = "InPlace"
}

extension SnapshotObject where Spec == VirtualMachineSnapshotSpec {
    /// A snapshot of `virtualMachine`.
    /// - Parameters:
    ///   - metadata: The snapshot's metadata.
    ///   - virtualMachine: The VM's name.
    public init(metadata: ObjectMeta, virtualMachine: String) {
        self.init(metadata: metadata, spec: VirtualMachineSnapshotSpec(source: VirtualMachineReference(name: virtualMachine)))
    }
}

extension SnapshotObject where Spec == VirtualMachineRestoreSpec {
    /// A restore of `snapshot` onto `virtualMachine`, in place, stopping the VM first.
    /// - Parameters:
    ///   - metadata: The restore's metadata.
    ///   - virtualMachine: The VM's name.
    ///   - snapshot: The VirtualMachineSnapshot's name.
    public init(metadata: ObjectMeta, virtualMachine: String, snapshot: String) {
        self.init(
            metadata: metadata,
            spec: VirtualMachineRestoreSpec(target: VirtualMachineReference(name: virtualMachine), virtualMachineSnapshotName: snapshot))
    }
}
