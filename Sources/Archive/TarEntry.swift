// The metadata of one tar entry, set explicitly (never read from the host file) so archives are reproducible.

/// One entry of a tar stream with explicit owner, mode and time.
public struct TarEntry: Sendable, Equatable {
    /// Regular file, directory or link.
    public enum Kind: Sendable, Equatable {
        case file(size: Int64)
        case directory
        /// A symbolic link to `target` (stored as written, not resolved).
        case symlink(target: String)
        /// A hard link to an earlier entry's path in the same archive.
        case hardlink(target: String)
    }

    /// Path inside the archive, e.g. `disk/disk.img`.
    public var path: String
    /// What the entry is.
    public var kind: Kind
    /// Permission bits, e.g. `0o444`.
    public var mode: Int32
    /// Numeric owner.
    public var uid: Int64
    /// Numeric group.
    public var gid: Int64
    /// Owner name stored beside the number.
    public var userName: String?
    /// Group name stored beside the number.
    public var groupName: String?
    /// Modification time, seconds since the epoch.
    public var modificationTime: Int64

    /// Creates an entry description.
    /// - Parameters:
    ///   - path: Path inside the archive.
    ///   - kind: File (with size) or directory.
    ///   - mode: Permission bits.
    ///   - uid: Numeric owner.
    ///   - gid: Numeric group.
    ///   - userName: Owner name.
    ///   - groupName: Group name.
    ///   - modificationTime: Seconds since the epoch.
    public init(
        path: String, kind: Kind, mode: Int32, uid: Int64, gid: Int64, userName: String? = nil, groupName: String? = nil,
        modificationTime: Int64
    ) {
        self.path = path
        self.kind = kind
        self.mode = mode
        self.uid = uid
        self.gid = gid
        self.userName = userName
        self.groupName = groupName
        self.modificationTime = modificationTime
    }
}
