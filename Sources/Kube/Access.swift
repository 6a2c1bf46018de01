// RBAC Role and RoleBinding (rbac.authorization.k8s.io/v1): lab users reach only their own VMs.

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
    /// Only these objects; nil for every object of the resources.
    public var resourceNames: [String]?
    /// Verbs.
    public var verbs: [String]

    /// Creates a rule.
    /// - Parameters:
    ///   - apiGroups: API groups.
    ///   - resources: Resources and `resource/subresource`s.
    ///   - resourceNames: Object names, or nil for all.
    ///   - verbs: Verbs.
    public init(apiGroups: [String], resources: [String], resourceNames: [String]?, verbs: [String]) {
        self.apiGroups = apiGroups
        self.resources = resources
        self.resourceNames = resourceNames
        self.verbs = verbs
    }
}

/// A RoleBinding granting a Role to users, groups or service accounts.
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
        /// `rbac.authorization.k8s.io` for users and groups; nil (the core group) for service accounts.
        public var apiGroup: String?
        /// `User`, `Group` or `ServiceAccount`.
        public var kind: String
        /// User, group or service account name.
        public var name: String
        /// The service account's namespace.
        public var namespace: String?

        /// Creates a subject.
        /// - Parameters:
        ///   - apiGroup: `rbac.authorization.k8s.io`, or nil for a service account.
        ///   - kind: `User`, `Group` or `ServiceAccount`.
        ///   - name: Its name.
        ///   - namespace: A service account's namespace.
        public init(apiGroup: String?, kind: String, name: String, namespace: String? = nil) {
            self.apiGroup = apiGroup
            self.kind = kind
            self.name = name
            self.namespace = namespace
        }
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

    /// Creates a RoleBinding for any subjects.
    /// - Parameters:
    ///   - metadata: Metadata (the Role's namespace).
    ///   - roleName: The Role, in the same namespace.
    ///   - subjects: Who gets it.
    public init(metadata: ObjectMeta, roleName: String, subjects: [Subject]) {
        self.metadata = metadata
        roleRef = RoleReference(apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: roleName)
        self.subjects = subjects
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
