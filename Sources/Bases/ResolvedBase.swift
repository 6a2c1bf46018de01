// What resolving a base yields: a local disk file the pipeline may read but never modify.
import LabforgeRecipe

/// A base image ready on this machine.
public struct ResolvedBase: Sendable, Equatable, Codable {
    /// Absolute path of the disk. Shared by every build: open it read-only or copy it (qcow2 overlay).
    public var path: String
    /// Its format (`qcow2` for everything labforge downloads or builds; a local file keeps its own).
    public var format: DiskFormat
    /// What identifies the contents, for image cache keys: `sha256:<hex>` / `sha512:<hex>` of the
    /// upstream file, `debian-bootstrap:<hex>` of a bootstrap's inputs, `sha256:<hex>` of a local file.
    public var identity: String
    /// Whether it was already in the cache (no download or bootstrap was needed).
    public var wasCached: Bool

    /// Creates a resolved base.
    /// - Parameters:
    ///   - path: Disk path.
    ///   - format: Disk format.
    ///   - identity: Content identity.
    ///   - wasCached: Whether no work was needed.
    public init(path: String, format: DiskFormat, identity: String, wasCached: Bool) {
        self.path = path
        self.format = format
        self.identity = identity
        self.wasCached = wasCached
    }
}
