// Errors of the Catalog module: unreadable or invalid catalog files, failed writes, unknown entries.

/// A problem with the portal catalog, naming the file and what to do.
public enum CatalogError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The catalog file exists but is not a labforge catalog.
    case unreadable(path: String, reason: String)
    /// The catalog was written by a newer labforge.
    case unsupportedVersion(path: String, version: Int)
    /// No entry with that name (and version).
    case notFound(path: String, name: String, version: String?)
    /// Writing failed.
    case writeFailed(path: String, reason: String)
    /// A catalog to merge does not exist.
    case missingInput(path: String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason):
            return "\(path): not a labforge catalog (\(reason)); fix or delete it (it is rewritten by `labforge build`, `catalog add` and `catalog merge`)"
        case .unsupportedVersion(let path, let version):
            return "\(path): catalog schemaVersion \(version) is newer than this labforge understands (1); update labforge"
        case .notFound(let path, let name, let version):
            return "\(path): no image '\(name)'\(version.map { " version \($0)" } ?? "") in the catalog (see `labforge catalog render`)"
        case .writeFailed(let path, let reason):
            return "\(path): cannot write (\(reason)); check the directory and free space"
        case .missingInput(let path):
            return "\(path): no such catalog to merge; check the path (each build job writes images/catalog.json)"
        }
    }
}
