// What resolving a base yields: a local disk file the pipeline may read but never modify.
import LabforgeRecipe

/// What a resolved base file holds.
public enum BaseContent: String, Sendable, Codable {
    /// A bootable disk (every amd64 base).
    case disk
    /// A root tree as a tar archive (numeric owners, extended attributes, device nodes), with its boot hook's
    /// files: a Debian bootstrap of an architecture libguestfs's x86-64 appliance cannot run (arm64). Unpack it with
    /// ``DebianBootstrapper/extractRootTree(archive:into:)``, customize it, and write the disk with
    /// ``DebianBootstrapper/writeDisk(rootTree:spec:sizeGiB:output:log:)``.
    case rootTreeArchive
}

/// A base image ready on this machine.
public struct ResolvedBase: Sendable, Equatable, Codable {
    /// Absolute path of the disk (or, for ``BaseContent/rootTreeArchive``, of the tar). Shared by every build: open
    /// it read-only or copy it (qcow2 overlay).
    public var path: String
    /// Its format (`qcow2` for every disk labforge downloads or builds; a local file keeps its own; `raw`, meaning
    /// nothing, for a root tree archive: read ``content``).
    public var format: DiskFormat
    /// Whether ``path`` is a disk or a root tree archive.
    public var content: BaseContent
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
    ///   - content: A disk (the default) or a root tree archive.
    public init(path: String, format: DiskFormat, identity: String, wasCached: Bool, content: BaseContent = .disk) {
        self.content = content
        self.path = path
        self.format = format
        self.identity = identity
        self.wasCached = wasCached
    }
}
