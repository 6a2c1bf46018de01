// RBAC Role and RoleBinding (rbac.authorization.k8s.io/v1): one lab user, only their own VMs.

/// A namespaced Role.
public struct Role: KubernetesObject, Hashable {
    /// API group and version.
    public var apiVersion = "rbac.authorization.k8s.io/v1"
    /// The object kind.
    public var kind = "Role"
    /// Name, namespace, labels and annotations.
    public var metadata: ObjectMeta
    /// What it allows.
    public var rules: [PolicyRule]

    /// Creates a Role.
    /// - Parameters:
    ///   - metadata: Metadata.
    ///   - rules: Rules.
    public init(metadata: ObjectMeta, rules: [PolicyRule]) {
        self.metadata = metadata
        self.rules = rules
    }
}

/// `rules[]` of a Role.
public struct PolicyRule: Sendable, Hashable, Codable {
    /// API groups.
    public var apiGroups: [String]
    /// Resources (and subresources as `resource/sub`).
    public var resources: [String]
    /// Only these objects.
    public var resourceNames: [String]
    /// Verbs.
    public var verbs: [String]

    /// Creates a rule.
    public init(apiGroups: [String], resources: [String], resourceNames: [String], verbs: [String]) {
        self.apiGroups = apiGroups
        self.resources = resources
        self.resourceNames = resourceNames
        self.verbs = verbs
    }
}

/// A RoleBinding granting a Role to one user.
public struct RoleBinding: KubernetesObject, Hashable {
    /// API group and version.
    public var apiVersion = "rbac.authorization.k8s.io/v1"
    /// The object kind.
    public var kind = "RoleBinding"
    /// Name, namespace, labels and annotations.
    public var metadata: ObjectMeta
    /// The Role.
    public var roleRef: RoleReference
    /// Who gets it.
    public var subjects: [Subject]

    /// `roleRef`.
    public struct RoleReference: Sendable, Hashable, Codable {
        /// `rbac.authorization.k8s.io`.
        public var apiGroup: String
        /// `Role`.
        public var kind: String
        /// Role name.
        public var name: String
    }

    /// `subjects[]`.
    public struct Subject: Sendable, Hashable, Codable {
        /// `rbac.authorization.k8s.io`.
        public var apiGroup: String
        /// `User`.
        public var kind: String
        /// User name.
        public var name: String
    }

    /// Creates a RoleBinding.
    /// - Parameters:
    ///   - metadata: Metadata.
    ///   - roleName: The Role.
    ///   - user: The user.
    public init(metadata: ObjectMeta, roleName: String, user: String) {
        self.metadata = metadata
        roleRef = RoleReference(apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: roleName)
        subjects = [Subject(apiGroup: "rbac.authorization.k8s.io", kind: "User", name: user)]
    }
}

/// `kustomization.yaml`.
public struct Kustomization: Sendable, Hashable, Codable {
    /// `kustomize.config.k8s.io/v1beta1`.
    public var apiVersion = "kustomize.config.k8s.io/v1beta1"
    /// `Kustomization`.
    public var kind = "Kustomization"
    /// Namespace for every resource, when chosen.
    public var namespace: String?
    /// Files, in apply order.
    public var resources: [String]

    /// Creates a kustomization.
    /// - Parameters:
    ///   - namespace: Namespace, or nil.
    ///   - resources: File names.
    public init(namespace: String?, resources: [String]) {
        self.namespace = namespace
        self.resources = resources
    }
}
