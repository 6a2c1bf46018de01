// catalog.json: load, add or replace one image's entry, remove, save (sorted, atomic).
import Foundation
import Naming

/// The portal catalog document (`images/catalog.json`).
public struct ImageCatalog: Sendable, Hashable, Codable {
    /// The format version this labforge writes.
    public static let currentSchemaVersion = 1

    /// Format version.
    public var schemaVersion: Int
    /// `labforge`.
    public var generator: String
    /// Entries sorted by name, then version.
    public private(set) var images: [CatalogEntry]

    /// An empty catalog.
    public init() {
        schemaVersion = Self.currentSchemaVersion
        generator = "labforge"
        images = []
    }

    /// Loads a catalog; a missing file is an empty catalog.
    /// - Parameter path: `catalog.json`.
    /// - Returns: The catalog.
    /// - Throws: ``CatalogError``.
    public static func load(from path: String) throws -> ImageCatalog {
        guard FileManager.default.fileExists(atPath: path) else { return ImageCatalog() }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CatalogError.unreadable(path: path, reason: "cannot read the file")
        }
        struct Version: Decodable { var schemaVersion: Int }
        if let version = try? JSONDecoder().decode(Version.self, from: data), version.schemaVersion > currentSchemaVersion {
            throw CatalogError.unsupportedVersion(path: path, version: version.schemaVersion)
        }
        let catalog: ImageCatalog
        do {
            catalog = try JSONDecoder().decode(ImageCatalog.self, from: data)
        } catch {
            throw CatalogError.unreadable(path: path, reason: "\(error)")
        }
        // Names and versions from a file are checked like those from the command line: they reach the page and paths.
        for (index, entry) in catalog.images.enumerated() {
            if let reason = DNSLabel.problem(entry.name) {
                throw CatalogError.unreadable(path: path, reason: "images[\(index)]: name \(MessageText.quoted(entry.name)) is not a DNS-1123 label (\(reason))")
            }
            if let reason = ImageVersion.problem(entry.version) {
                throw CatalogError.unreadable(
                    path: path, reason: "images[\(index)] (\(entry.name)): version \(MessageText.quoted(entry.version)) is not a valid image version (\(reason))")
            }
        }
        return catalog
    }

    /// Adds an entry, replacing the one with the same name and version; keeps every other entry.
    /// - Parameter entry: The entry.
    public mutating func upsert(_ entry: CatalogEntry) {
        images.removeAll { $0.name == entry.name && $0.version == entry.version && ($0.kind ?? .vm) == (entry.kind ?? .vm) }
        images.append(entry)
        // The VM first, then the pod lab of the same recipe version (the page shows them side by side).
        images.sort { ($0.name, $0.version, $0.kind == .container ? 1 : 0) < ($1.name, $1.version, $1.kind == .container ? 1 : 0) }
    }

    /// Removes an image's entries.
    /// - Parameters:
    ///   - name: Image name.
    ///   - version: One version, or nil for all.
    /// - Returns: How many entries were removed.
    @discardableResult
    public mutating func remove(name: String, version: String? = nil) -> Int {
        let before = images.count
        images.removeAll { $0.name == name && (version == nil || $0.version == version) }
        return before - images.count
    }

    /// The JSON bytes: pretty, sorted keys, trailing newline (same catalog, same bytes).
    /// - Returns: The bytes.
    /// - Throws: `EncodingError`.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self) + Data("\n".utf8)
    }

    /// Writes the catalog to a temporary file beside `path` and renames it into place.
    /// - Parameter path: `catalog.json`.
    /// - Throws: ``CatalogError/writeFailed(path:reason:)``.
    public func save(to path: String) throws {
        try CatalogFiles.write(try encoded(), to: path)
    }
}

/// Atomic file writes for the catalog and the page.
enum CatalogFiles {
    static func write(_ data: Data, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try data.write(to: url, options: .atomic)
        } catch {
            throw CatalogError.writeFailed(path: path, reason: error.localizedDescription)
        }
    }
}
