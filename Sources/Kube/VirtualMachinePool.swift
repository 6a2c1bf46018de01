// KubeVirt VirtualMachinePool (pool.kubevirt.io/v1beta1): N identical lab VMs for an anonymous workshop.

/// A VirtualMachinePool: the pool controller keeps `replicas` VMs named `<pool>-<index>` (index from 0), each
/// made from one template. With ``NameGeneration/appendIndexToSecretRefs`` every Secret volume name of the
/// template gets `-<index>` appended, so each VM mounts its own Secret.
public struct VirtualMachinePool: KubernetesObject, Hashable {
    /// API group and version (v1beta1 since KubeVirt 1.7; a mirror of v1alpha1).
    public var apiVersion = "pool.kubevirt.io/v1beta1"
    /// The object kind.
    public var kind = "VirtualMachinePool"
    /// Name, namespace, labels and annotations.
    public var metadata: ObjectMeta
    /// Replicas, selector and the VM template.
    public var spec: Spec

    /// `spec` of a VirtualMachinePool.
    public struct Spec: Sendable, Hashable, Codable {
        /// How many VMs.
        public var replicas: Int
        /// Selects the pool's VMs; the template's labels must match it.
        public var selector: LabelSelector
        /// Per-VM names for Secret references.
        public var nameGeneration: NameGeneration?
        /// What each VM is.
        public var virtualMachineTemplate: Template
    }

    /// `spec.nameGeneration`.
    public struct NameGeneration: Sendable, Hashable, Codable {
        /// Append `-<index>` to every Secret volume's `secretName` in each VM.
        public var appendIndexToSecretRefs: Bool
    }

    /// `spec.virtualMachineTemplate`.
    public struct Template: Sendable, Hashable, Codable {
        /// Labels of each VM (must match the selector).
        public var metadata: ObjectMeta
        /// Each VM's spec.
        public var spec: VirtualMachine.Spec
    }

    /// Creates a VirtualMachinePool of VMs made from one template, each mounting its own Secret.
    /// - Parameters:
    ///   - metadata: Metadata.
    ///   - replicas: How many VMs.
    ///   - selector: Selects the pool's VMs; `template`'s labels must match it.
    ///   - template: Each VM's labels and annotations.
    ///   - spec: Each VM's spec; `-<index>` is appended to its Secret volumes' names.
    public init(metadata: ObjectMeta, replicas: Int, selector: LabelSelector, template: ObjectMeta, spec: VirtualMachine.Spec) {
        self.metadata = metadata
        self.spec = Spec(
            replicas: replicas, selector: selector, nameGeneration: NameGeneration(appendIndexToSecretRefs: true),
            virtualMachineTemplate: Template(metadata: template, spec: spec))
    }
}
