// Merging catalogs written by separate build jobs (one per recipe in CI) into one catalog.json.
import Foundation

extension ImageCatalog {
    /// Loads a catalog that must exist: a merge input that is missing is a mistake, not an empty catalog.
    /// - Parameter path: A `catalog.json` written by labforge.
    /// - Returns: The catalog.
    /// - Throws: ``CatalogError/missingInput(path:)`` when there is no such file, else what ``load(from:)`` throws.
    public static func loadExisting(from path: String) throws -> ImageCatalog {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw CatalogError.missingInput(path: path)
        }
        guard !isDirectory.boolValue else {
            throw CatalogError.unreadable(path: path, reason: "it is a directory, not a catalog.json")
        }
        return try load(from: path)
    }

    /// Takes every entry of another catalog, replacing an entry of this one with the same name and version;
    /// every other entry of this catalog is kept.
    /// - Parameter other: The catalog whose entries win.
    public mutating func merge(_ other: ImageCatalog) {
        for entry in other.images { upsert(entry) }
    }

    /// Merges catalog files in order: a later file's entry replaces an earlier one with the same name and version.
    /// - Parameters:
    ///   - paths: The input `catalog.json` files, in order of precedence (last wins).
    ///   - base: The catalog to merge into (e.g. the existing output); empty by default.
    /// - Returns: The merged catalog, sorted by name and version.
    /// - Throws: ``CatalogError`` naming the first input that is missing, unreadable or not a labforge catalog;
    ///   nothing is merged then.
    public static func merging(files paths: [String], into base: ImageCatalog = ImageCatalog()) throws -> ImageCatalog {
        var merged = base
        for path in paths {
            merged.merge(try loadExisting(from: path))
        }
        return merged
    }
}

extension ImageCatalog {
    /// The entry a new version of the same image is compared with: the latest other version built before it that has an
    /// SBOM file (by build time; by version order when times are missing).
    /// - Parameter entry: An entry of this catalog.
    /// - Returns: The earlier entry, or nil.
    public func previousVersion(of entry: CatalogEntry) -> CatalogEntry? {
        let others = images.filter { $0.name == entry.name && $0.version != entry.version && $0.sbom?.path != nil }
        if let time = entry.build.time {
            let earlier = others.filter { ($0.build.time ?? "") < time }
            if let latest = earlier.max(by: { ($0.build.time ?? "", $0.version) < ($1.build.time ?? "", $1.version) }) { return latest }
        }
        return others.filter { $0.version < entry.version }.max { $0.version < $1.version }
    }
}
