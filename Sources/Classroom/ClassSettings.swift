// What a class adds to the deployment settings: network isolation, namespaces, quotas.
import Kube

/// Class-wide choices beyond `ManifestSettings`.
public struct ClassSettings: Sendable, Hashable {
    /// What every VM's NetworkPolicy lets it reach; the denied ranges must cover 169.254.169.254.
    public var isolation: NetworkIsolation
    /// One namespace `<namespace>-<id>` per student instead of one shared namespace.
    public var namespacePerStudent: Bool
    /// A ResourceQuota per student namespace: resource name → quantity; empty for none.
    public var quota: StringMap

    /// Creates class settings; the defaults isolate VMs and allow the internet.
    /// - Parameters:
    ///   - isolation: Ranges VMs may not reach, and whether they may reach the internet.
    ///   - namespacePerStudent: A namespace per student.
    ///   - quota: Per-namespace quota.
    public init(isolation: NetworkIsolation = NetworkIsolation(), namespacePerStudent: Bool = false, quota: StringMap = [:]) {
        self.isolation = isolation
        self.namespacePerStudent = namespacePerStudent
        self.quota = quota
    }

    /// Checks the settings against the deployment, and applies the route rule for the class's audience.
    /// - Parameters:
    ///   - deployment: Namespace, host, routing and route protection.
    ///   - image: The image (its agents decide whether there are routes).
    ///   - audience: The roster or a pool.
    /// - Returns: The route rule's verdict (whether routes are written, warnings).
    /// - Throws: ``KubeError`` or ``ClassError`` naming the option at fault.
    public func validate(deployment: ManifestSettings, image: ImageDescription, audience: RouteRule.Audience) throws -> RouteRule {
        guard let namespace = deployment.namespace else {
            throw KubeError.invalidSetting(
                name: "--namespace", value: "(none)",
                reason: "a class needs a namespace: RoleBindings, clone permissions and NetworkPolicies name it")
        }
        if !isolation.deniedRanges.contains(where: { $0.contains(.metadataService) }) {
            throw KubeError.invalidSetting(
                name: "--deny-cidr", value: isolation.deniedRanges.map(\.description).joined(separator: ","),
                reason: "no range covers the metadata service 169.254.169.254; add 169.254.0.0/16")
        }
        if !quota.isEmpty {
            guard namespacePerStudent else {
                throw KubeError.invalidSetting(name: "--quota", value: Self.quotaText(quota), reason: "a quota needs --namespace-per-student")
            }
            for (name, value) in quota.entries.sorted(by: { $0.key < $1.key }) where !Quantity.isValid(value) || name.isEmpty {
                throw KubeError.invalidSetting(name: "--quota", value: "\(name)=\(value)", reason: "expected RESOURCE=QUANTITY, e.g. requests.memory=4Gi")
            }
        }
        if namespacePerStudent { try KubernetesName.checkLabel("\(namespace)-x", kind: "student Namespace") }
        return try RouteRule(image: image, settings: deployment, audience: audience)
    }

    /// `a=1,b=2`.
    static func quotaText(_ quota: StringMap) -> String {
        quota.entries.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
    }
}
