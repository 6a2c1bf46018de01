// Who a student is to Kubernetes: a User, a Group or a ServiceAccount, as written in the roster.

/// The RBAC subject a student's RoleBinding names. Always given in the roster, never derived from the
/// guest's user name (which is the same for every student).
public struct AccessSubject: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The subject kinds RBAC knows.
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        /// An authenticated user name (e.g. an OIDC email claim).
        case user = "User"
        /// A group from the authenticator.
        case group = "Group"
        /// A ServiceAccount in a namespace.
        case serviceAccount = "ServiceAccount"

        /// The roster prefix: `user`, `group`, `serviceaccount`.
        public var prefix: String { rawValue.lowercased() }
    }

    /// User, Group or ServiceAccount.
    public var kind: Kind
    /// The user, group or service account name.
    public var name: String
    /// A service account's namespace.
    public var namespace: String?

    /// Creates a subject.
    /// - Parameters:
    ///   - kind: The kind.
    ///   - name: Its name.
    ///   - namespace: The namespace of a service account.
    public init(kind: Kind, name: String, namespace: String? = nil) {
        self.kind = kind
        self.name = name
        self.namespace = namespace
    }

    /// Parses `user:NAME`, `group:NAME`, `serviceaccount:NAMESPACE:NAME`, or a bare `NAME` (a user).
    /// - Parameter text: The roster's identity column.
    /// - Throws: ``KubeError/invalidIdentity(identity:reason:)``.
    public init(parsing text: String) throws {
        let invalid = { (reason: String) in KubeError.invalidIdentity(identity: text, reason: reason) }
        guard !text.isEmpty, text.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7F }) else {
            throw invalid("it is empty or holds spaces or control characters")
        }
        guard let colon = text.firstIndex(of: ":") else {
            self.init(kind: .user, name: text)
            return
        }
        let prefix = text[..<colon].lowercased()
        let rest = String(text[text.index(after: colon)...])
        // Kubernetes' own user names (system:anonymous, system:serviceaccount:NS:NAME, …) hold colons: a user.
        if text.hasPrefix(Self.systemPrefix) {
            self.init(kind: .user, name: text)
            return
        }
        guard let kind = Kind.allCases.first(where: { $0.prefix == prefix }) else {
            throw invalid("'\(text[..<colon])' is not user, group or serviceaccount (a user name holding ':' needs the user: prefix)")
        }
        guard !rest.isEmpty else { throw invalid("no name after '\(prefix):'") }
        guard kind == .serviceAccount else {
            self.init(kind: kind, name: rest)
            return
        }
        let parts = rest.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2, KubernetesName.isLabel(parts[0]), KubernetesName.isSubdomain(parts[1]) else {
            throw invalid("a service account is serviceaccount:NAMESPACE:NAME, both lower-case DNS names")
        }
        self.init(kind: .serviceAccount, name: parts[1], namespace: parts[0])
    }

    /// The prefix Kubernetes reserves for its own users and groups.
    public static let systemPrefix = "system:"

    /// Whether the name is one Kubernetes reserves: `system:anonymous` (every unauthenticated request),
    /// `system:authenticated` (every logged-in one), `system:serviceaccount:…`, `system:masters`, … Granting one of
    /// them a student's VM grants it to far more than one person.
    public var isSystemIdentity: Bool { name.hasPrefix(Self.systemPrefix) }

    /// Why a `system:` identity is refused, and the option that accepts it.
    /// - Parameter student: The student id of a roster line, or nil for `--access-user`.
    /// - Returns: The reason.
    public func systemIdentityProblem(student: String?) -> String {
        let whose = student.map { "student '\($0)': " } ?? ""
        return "\(whose)identity '\(self)' is one Kubernetes reserves (system:anonymous is every unauthenticated request, "
            + "group:system:authenticated every logged-in user, system:serviceaccount:… a workload): it would get the VM; "
            + "name the person (user:NAME), or pass --allow-system-identities if this is really meant"
    }

    /// The roster form: `user:alice@school.example`, `group:cs101`, `serviceaccount:ns:name`.
    public var description: String {
        kind == .serviceAccount ? "\(kind.prefix):\(namespace ?? ""):\(name)" : "\(kind.prefix):\(name)"
    }

    /// The RoleBinding subject.
    public var roleBindingSubject: RoleBinding.Subject {
        switch kind {
        case .user, .group: return RoleBinding.Subject(apiGroup: "rbac.authorization.k8s.io", kind: kind.rawValue, name: name)
        case .serviceAccount: return RoleBinding.Subject(apiGroup: nil, kind: kind.rawValue, name: name, namespace: namespace)
        }
    }
}
