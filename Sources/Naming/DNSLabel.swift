// The one rule for image names: a DNS-1123 label, checked wherever a name enters labforge.

/// An image name (a recipe's `name`, `--name`, a catalog entry's name) is a DNS-1123 label,
/// `[a-z0-9]([-a-z0-9]*[a-z0-9])?` of at most 63 characters: Kubernetes objects are named after it, and it is one
/// safe path component (`images/<name>/`) and a plain YAML scalar.
public enum DNSLabel {
    /// The longest label the Kubernetes API server accepts.
    public static let maximumLength = 63

    /// Why `text` is not a DNS-1123 label.
    /// - Parameter text: The candidate.
    /// - Returns: The reason in a few words (`it contains '/'`), or nil when it is valid.
    public static func problem(_ text: String) -> String? {
        guard let first = text.unicodeScalars.first, let last = text.unicodeScalars.last else { return "it is empty" }
        if let bad = text.unicodeScalars.first(where: { !isAllowed($0) }) {
            return "it contains \(MessageText.describe(bad))"
        }
        let length = text.unicodeScalars.count
        if length > maximumLength { return "it has \(length) characters, more than \(maximumLength)" }
        if first == "-" || last == "-" { return "it starts or ends with '-'" }
        return nil
    }

    /// Whether `text` is a DNS-1123 label.
    /// - Parameter text: The candidate.
    /// - Returns: True when ``problem(_:)`` finds nothing.
    public static func isValid(_ text: String) -> Bool { problem(text) == nil }

    /// The rule in words, for the end of an error message.
    public static let rule = "use 1–63 lower-case letters, digits and '-', starting and ending with a letter or digit"

    private static func isAllowed(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "0"..."9", "-": return true
        default: return false
        }
    }
}
