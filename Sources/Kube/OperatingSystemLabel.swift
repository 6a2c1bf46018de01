// The operating system label of an image (`debian 13`): what the catalog and the manifests say the guest runs.

/// The guest operating system as the catalog and the manifests label it: a distribution id and version, taken from
/// the recipe's base name (`debian-13`), not read from the disk (that is `Guestfs.InspectedOperatingSystem`).
public struct OperatingSystemLabel: Sendable, Hashable, Codable {
    /// Distribution id, e.g. `debian`, `ubuntu`, `fedora`.
    public var id: String
    /// Version, e.g. `13`.
    public var version: String?

    /// Creates a label.
    /// - Parameters:
    ///   - id: Distribution id.
    ///   - version: Its version.
    public init(id: String, version: String? = nil) {
        self.id = id
        self.version = version
    }

    /// Parses `debian`, `debian-13` or `debian:13`.
    /// - Parameter text: The text.
    public init(parsing text: String) {
        let parts = text.split(whereSeparator: { $0 == ":" || $0 == "-" || $0 == " " }).map(String.init)
        id = parts.first?.lowercased() ?? text
        version = parts.count > 1 ? parts.dropFirst().joined(separator: ".") : nil
    }

    /// `debian 13`.
    public var displayText: String { version.map { "\(id) \($0)" } ?? id }
}
