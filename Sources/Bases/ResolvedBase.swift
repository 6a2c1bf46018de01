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

    private enum CodingKeys: String, CodingKey { case path, format, identity, wasCached, content }

    /// Decodes a resolved base; `content` may be absent (a disk, as every base was before root tree archives).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        path = try container.decode(String.self, forKey: .path)
        format = try container.decode(DiskFormat.self, forKey: .format)
        identity = try container.decode(String.self, forKey: .identity)
        wasCached = try container.decode(Bool.self, forKey: .wasCached)
        content = try container.decodeIfPresent(BaseContent.self, forKey: .content) ?? .disk
    }

    /// Encodes a resolved base; no `content` key for a disk, so that what was encoded before reads the same.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(path, forKey: .path)
        try container.encode(format, forKey: .format)
        try container.encode(identity, forKey: .identity)
        try container.encode(wasCached, forKey: .wasCached)
        if content != .disk { try container.encode(content, forKey: .content) }
    }
}
