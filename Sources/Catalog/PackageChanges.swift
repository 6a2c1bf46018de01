// What changed in an image's packages since its previous version in the catalog.

/// Package changes between two versions of one image, as the catalog shows them.
public struct PackageChanges: Sendable, Hashable, Codable {
    /// The earlier version compared against.
    public var since: String
    /// Packages only in this version.
    public var added: [Package]
    /// Packages only in the earlier version.
    public var removed: [Package]
    /// Packages with a newer version now.
    public var upgraded: [Change]
    /// Packages with an older version now.
    public var downgraded: [Change]

    /// A package and its version.
    public struct Package: Sendable, Hashable, Codable {
        /// Name.
        public var name: String
        /// Version.
        public var version: String

        /// Creates a record.
        public init(name: String, version: String) {
            self.name = name
            self.version = version
        }
    }

    /// A package whose version changed.
    public struct Change: Sendable, Hashable, Codable {
        /// Name.
        public var name: String
        /// Version in the earlier image.
        public var from: String
        /// Version now.
        public var to: String

        /// Creates a record.
        public init(name: String, from: String, to: String) {
            self.name = name
            self.from = from
            self.to = to
        }
    }

    /// Creates a record.
    /// - Parameters:
    ///   - since: The earlier version.
    ///   - added: New packages.
    ///   - removed: Gone packages.
    ///   - upgraded: Newer versions.
    ///   - downgraded: Older versions.
    public init(since: String, added: [Package] = [], removed: [Package] = [], upgraded: [Change] = [], downgraded: [Change] = []) {
        self.since = since
        self.added = added
        self.removed = removed
        self.upgraded = upgraded
        self.downgraded = downgraded
    }

    /// Whether nothing changed.
    public var isEmpty: Bool { added.isEmpty && removed.isEmpty && upgraded.isEmpty && downgraded.isEmpty }

    /// `3 added, 1 removed, 12 upgraded` (counts that are zero left out; `no package changes` when empty).
    public var summary: String {
        let parts = [(added.count, "added"), (removed.count, "removed"), (upgraded.count, "upgraded"), (downgraded.count, "downgraded")]
            .filter { $0.0 > 0 }.map { "\($0.0) \($0.1)" }
        return parts.isEmpty ? "no package changes" : parts.joined(separator: ", ")
    }
}
