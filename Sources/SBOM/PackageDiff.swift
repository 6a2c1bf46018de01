// Package changes between two images: added, removed, upgraded, downgraded.

/// The difference between two package lists, keyed by `name:architecture`.
public struct PackageDiff: Sendable, Equatable, Codable {
    /// A package present in both with another version.
    public struct Change: Sendable, Equatable, Codable {
        /// Package name.
        public var name: String
        /// Architecture.
        public var architecture: String
        /// Version in the old image.
        public var oldVersion: String
        /// Version in the new image.
        public var newVersion: String
    }

    /// Only in the new image.
    public var added: [InstalledPackage]
    /// Only in the old image.
    public var removed: [InstalledPackage]
    /// Newer in the new image (dpkg's version order).
    public var upgraded: [Change]
    /// Older in the new image.
    public var downgraded: [Change]

    /// Compares two package lists.
    /// - Parameters:
    ///   - old: Packages of the old image.
    ///   - new: Packages of the new image.
    public init(old: [InstalledPackage], new: [InstalledPackage]) {
        let oldByKey = Dictionary(old.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
        let newByKey = Dictionary(new.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
        added = new.filter { oldByKey[$0.key] == nil }.sorted()
        removed = old.filter { newByKey[$0.key] == nil }.sorted()
        var upgraded: [Change] = []
        var downgraded: [Change] = []
        for package in new.sorted() {
            guard let before = oldByKey[package.key], before.version != package.version else { continue }
            let change = Change(name: package.name, architecture: package.architecture, oldVersion: before.version, newVersion: package.version)
            if DebianVersion.isOlder(before.version, than: package.version) { upgraded.append(change) } else { downgraded.append(change) }
        }
        self.upgraded = upgraded
        self.downgraded = downgraded
    }

    /// Whether nothing changed.
    public var isEmpty: Bool { added.isEmpty && removed.isEmpty && upgraded.isEmpty && downgraded.isEmpty }

    /// One line per change (`+ name version`, `- name version`, `↑ name old → new`, `↓ …`), then a count line.
    public var text: String {
        var lines: [String] = []
        lines += added.map { "+ \($0.name) \($0.version) (\($0.architecture))" }
        lines += removed.map { "- \($0.name) \($0.version) (\($0.architecture))" }
        lines += upgraded.map { "↑ \($0.name) \($0.oldVersion) → \($0.newVersion) (\($0.architecture))" }
        lines += downgraded.map { "↓ \($0.name) \($0.oldVersion) → \($0.newVersion) (\($0.architecture))" }
        lines.append("\(added.count) added, \(removed.count) removed, \(upgraded.count) upgraded, \(downgraded.count) downgraded")
        return lines.joined(separator: "\n") + "\n"
    }
}
