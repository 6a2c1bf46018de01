// The one rule for image versions and OCI tags, checked wherever one enters labforge.

/// An image version (a recipe's `version`, `--image-version`, a layout's `org.opencontainers.image.version`) and
/// an OCI tag follow one grammar, the distribution spec's `[A-Za-z0-9_][A-Za-z0-9._-]{0,127}`. Anything that
/// passes is one safe path component (`images/<name>/<version>/`: no `/`, no `..`, no leading `.`) and a plain
/// YAML scalar (no newline, no control character, no `:` or `#`).
public enum ImageVersion {
    /// The longest version (and tag) the distribution spec allows.
    public static let maximumLength = 128

    /// Why `text` cannot be an image version or tag.
    /// - Parameter text: The candidate.
    /// - Returns: The reason in a few words (`it contains a newline (U+000A)`), or nil when it is valid.
    public static func problem(_ text: String) -> String? {
        guard let first = text.unicodeScalars.first else { return "it is empty" }
        if let bad = text.unicodeScalars.first(where: { !isAllowed($0) }) { return "it contains \(MessageText.describe(bad))" }
        if first == "." || first == "-" { return "it starts with '\(first)'" }
        let length = text.unicodeScalars.count
        if length > maximumLength { return "it has \(length) characters, more than \(maximumLength)" }
        return nil
    }

    /// Whether `text` is a valid image version and tag.
    /// - Parameter text: The candidate.
    /// - Returns: True when ``problem(_:)`` finds nothing.
    public static func isValid(_ text: String) -> Bool { problem(text) == nil }

    /// The rule in words, for the end of an error message.
    public static let rule = "use 1–128 letters, digits, '.', '_' and '-', not starting with '.' or '-'"

    private static func isAllowed(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9", ".", "_", "-": return true
        default: return false
        }
    }
}
