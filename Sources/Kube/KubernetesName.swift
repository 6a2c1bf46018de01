// Kubernetes name rules (DNS-1123 / DNS-1035 labels), checked before anything is written.
import Naming

/// Checks object names the way the API server would, with an error naming the object.
public enum KubernetesName {
    /// The longest label the API server accepts.
    public static let maximumLength = DNSLabel.maximumLength

    /// Checks a DNS-1123 label: `[a-z0-9]([-a-z0-9]*[a-z0-9])?`, at most 63 characters.
    /// - Parameters:
    ///   - name: The name.
    ///   - kind: The object kind, named in the error.
    /// - Throws: ``KubeError/invalidName(kind:name:reason:)``.
    public static func checkLabel(_ name: String, kind: String) throws {
        if let reason = labelProblem(name) { throw KubeError.invalidName(kind: kind, name: name, reason: reason) }
    }

    /// Checks a DNS-1035 label (Service names): like DNS-1123, but starting with a letter.
    /// - Parameters:
    ///   - name: The name.
    ///   - kind: The object kind, named in the error.
    /// - Throws: ``KubeError/invalidName(kind:name:reason:)``.
    public static func checkServiceName(_ name: String, kind: String = "Service") throws {
        try checkLabel(name, kind: kind)
        guard let first = name.first, first >= "a", first <= "z" else {
            throw KubeError.invalidName(kind: kind, name: name, reason: "a Service name must start with a letter")
        }
    }

    /// Whether `name` is a DNS-1123 label.
    /// - Parameter name: The name.
    /// - Returns: True when valid.
    public static func isLabel(_ name: String) -> Bool { labelProblem(name) == nil }

    /// Whether `name` is a DNS-1123 subdomain (labels joined by dots, at most 253 characters), e.g. a ServiceAccount name.
    /// - Parameter name: The name.
    /// - Returns: True when valid.
    public static func isSubdomain(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 253 && name.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { isLabel(String($0)) }
    }

    /// Turns free text into a DNS-1123 label: lower-case, other characters become `-`, trimmed to 63.
    /// - Parameter text: E.g. a display name or version.
    /// - Returns: A valid label, or nil when nothing usable is left.
    public static func sanitized(_ text: String) -> String? {
        var result = ""
        for character in text.lowercased() {
            let ok = character.isASCII && (character.isLetter || character.isNumber)
            if ok { result.append(character) } else if !result.hasSuffix("-") { result.append("-") }
        }
        let trimmed = String(result.prefix(maximumLength)).trimmingDashes()
        return trimmed.isEmpty ? nil : trimmed
    }

    /// The one DNS-1123 rule (``DNSLabel``), shared with recipe names.
    package static func labelProblem(_ name: String) -> String? { DNSLabel.problem(name) }
}

extension String {
    func trimmingDashes() -> String {
        var view = Substring(self)
        while view.hasPrefix("-") { view = view.dropFirst() }
        while view.hasSuffix("-") { view = view.dropLast() }
        return String(view)
    }
}
