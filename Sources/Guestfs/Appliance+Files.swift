// Files in the mounted guest: write, upload, download, directories, links, modes, owners, stat.
import CGuestfs
import Foundation

/// What `lstat` says about a guest path.
public struct GuestFileStatus: Sendable, Equatable {
    /// Permission bits and file type (`st_mode`).
    public var mode: Int64
    /// Owner.
    public var uid: Int64
    /// Group.
    public var gid: Int64
    /// Size in bytes.
    public var size: Int64
    /// Permission bits only (`mode & 0o7777`).
    public var permissions: Int64 { mode & 0o7777 }
    /// Whether this is a symbolic link.
    public var isSymlink: Bool { mode & 0o170000 == 0o120000 }
    /// Whether this is a directory.
    public var isDirectory: Bool { mode & 0o170000 == 0o040000 }
}

extension Appliance {
    /// Writes `contents` to a guest file, replacing it.
    /// - Parameters:
    ///   - contents: The bytes.
    ///   - path: Absolute guest path; its directory must exist.
    /// - Throws: ``GuestfsError/call(function:message:errno:)`` naming the path.
    public func write(_ contents: Data, to path: String) throws {
        // An empty Data may have no base address; libguestfs still wants a valid pointer.
        let rc = (contents.isEmpty ? Data([0]) : contents).withUnsafeBytes { bytes in
            guestfs_write(handle, path, bytes.baseAddress!.assumingMemoryBound(to: CChar.self), contents.count)
        }
        try check(rc, "write \(path)")
    }

    /// Copies a host file into the guest (streamed; fine for large files).
    /// - Parameters:
    ///   - hostPath: File on the host.
    ///   - guestPath: Absolute guest path (or a device such as `/dev/sda`).
    /// - Throws: ``GuestfsError/call(function:message:errno:)``.
    public func upload(_ hostPath: String, to guestPath: String) throws {
        try check(guestfs_upload(handle, hostPath, guestPath), "upload \(hostPath) to \(guestPath)")
    }

    /// Copies a guest file to the host (streamed).
    /// - Parameters:
    ///   - guestPath: Absolute guest path.
    ///   - hostPath: Destination on the host.
    /// - Throws: ``GuestfsError/call(function:message:errno:)``.
    public func download(_ guestPath: String, to hostPath: String) throws {
        try check(guestfs_download(handle, guestPath, hostPath), "download \(guestPath) to \(hostPath)")
    }

    /// Copies a host file or directory tree into a guest directory (`copy_in`, keeps modes).
    /// - Parameters:
    ///   - hostPath: File or directory on the host.
    ///   - guestDirectory: Existing guest directory.
    /// - Throws: ``GuestfsError/call(function:message:errno:)``.
    public func copyIn(_ hostPath: String, to guestDirectory: String) throws {
        try check(guestfs_copy_in(handle, hostPath, guestDirectory), "copy_in \(hostPath) to \(guestDirectory)")
    }

    /// Creates a directory and its parents.
    /// - Parameter path: Absolute guest path.
    /// - Throws: ``GuestfsError/call(function:message:errno:)``.
    public func makeDirectories(_ path: String) throws {
        try check(guestfs_mkdir_p(handle, path), "mkdir_p \(path)")
    }

    /// Sets permission bits.
    /// - Parameters:
    ///   - mode: E.g. `0o644`.
    ///   - path: Absolute guest path.
    /// - Throws: ``GuestfsError/call(function:message:errno:)``.
    public func setMode(_ mode: Int32, of path: String) throws {
        try check(guestfs_chmod(handle, mode, path), "chmod \(String(mode, radix: 8)) \(path)")
    }

    /// Sets the numeric owner and group.
    /// - Parameters:
    ///   - uid: Owner.
    ///   - gid: Group.
    ///   - path: Absolute guest path.
    /// - Throws: ``GuestfsError/call(function:message:errno:)``.
    public func setOwner(uid: Int32, gid: Int32, of path: String) throws {
        try check(guestfs_chown(handle, uid, gid, path), "chown \(uid):\(gid) \(path)")
    }

    /// Creates or replaces a symbolic link.
    /// - Parameters:
    ///   - target: What the link points to.
    ///   - path: The link's absolute guest path.
    /// - Throws: ``GuestfsError/call(function:message:errno:)``.
    public func symlink(_ target: String, at path: String) throws {
        try check(guestfs_ln_sf(handle, target, path), "ln_sf \(target) \(path)")
    }

    /// Removes a file or tree; no error when it does not exist.
    /// - Parameter path: Absolute guest path.
    /// - Throws: ``GuestfsError/call(function:message:errno:)``.
    public func removeRecursively(_ path: String) throws {
        try check(guestfs_rm_rf(handle, path), "rm_rf \(path)")
    }

    /// Truncates a file to zero bytes (keeps the file, its mode and owner).
    /// - Parameter path: Absolute guest path.
    /// - Throws: ``GuestfsError/call(function:message:errno:)``.
    public func truncate(_ path: String) throws {
        try check(guestfs_truncate(handle, path), "truncate \(path)")
    }

    /// Whether a path exists (following symlinks).
    public func exists(_ path: String) throws -> Bool {
        try check(guestfs_exists(handle, path), "exists \(path)") == 1
    }

    /// Whether a path is a directory (following symlinks).
    public func isDirectory(_ path: String) throws -> Bool {
        try check(guestfs_is_dir(handle, path), "is_dir \(path)") == 1
    }

    /// Whether a path is a regular file (following symlinks).
    public func isFile(_ path: String) throws -> Bool {
        try check(guestfs_is_file(handle, path), "is_file \(path)") == 1
    }

    /// The names in a guest directory.
    public func list(_ directory: String) throws -> [String] {
        try strings(guestfs_ls(handle, directory), "ls \(directory)")
    }

    /// Expands a glob in the guest (`/etc/ssh/ssh_host_*`).
    public func glob(_ pattern: String) throws -> [String] {
        try strings(guestfs_glob_expand(handle, pattern), "glob_expand \(pattern)")
    }

    /// The target of a symbolic link.
    public func readLink(_ path: String) throws -> String {
        try string(guestfs_readlink(handle, path), "readlink \(path)")
    }

    /// A file's checksum computed inside the appliance (no copy to the host).
    /// - Parameters:
    ///   - type: `sha256`, `sha1`, `md5`, … (libguestfs' `checksum` types).
    ///   - path: Absolute guest path of a regular file.
    /// - Returns: Lower-case hex.
    /// - Throws: ``GuestfsError/call(function:message:errno:)``.
    public func checksum(_ type: String, of path: String) throws -> String {
        try string(guestfs_checksum(handle, type, path), "checksum \(type) \(path)")
    }

    /// `lstat` of a guest path.
    /// - Parameter path: Absolute guest path.
    /// - Returns: Mode, owner, group, size.
    /// - Throws: ``GuestfsError/call(function:message:errno:)``.
    public func status(_ path: String) throws -> GuestFileStatus {
        guard let stat = guestfs_lstatns(handle, path) else { throw GuestfsError.last(handle, function: "lstatns \(path)") }
        defer { guestfs_free_statns(stat) }
        return GuestFileStatus(mode: stat.pointee.st_mode, uid: stat.pointee.st_uid, gid: stat.pointee.st_gid, size: stat.pointee.st_size)
    }
}
