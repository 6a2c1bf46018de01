// Inspection (which OS is on the disk), read-only mounts and reading files.
import CGuestfs
import Foundation

/// What libguestfs inspection says about the operating system on a disk: its root, distribution, version, package
/// manager and mount points (the catalog's label is `Kube.OperatingSystemLabel`).
public struct InspectedOperatingSystem: Sendable, Equatable, Codable {
    /// The root device, e.g. `/dev/sda1`.
    public var root: String
    /// `linux`, `windows`, …
    public var type: String
    /// `debian`, `ubuntu`, `fedora`, …
    public var distro: String
    /// Major version, e.g. 13.
    public var majorVersion: Int
    /// Minor version.
    public var minorVersion: Int
    /// Architecture as libguestfs names it: `x86_64`, `aarch64`, …
    public var arch: String
    /// The product name, e.g. `Debian GNU/Linux 13 (trixie)`.
    public var productName: String
    /// `apt`, `dnf`, `zypper`, `apk`, … or `unknown`.
    public var packageManagement: String
    /// Mount points (guest path → device), shortest path first so mounting in order works.
    public var mountpoints: [Mountpoint]

    /// A filesystem and where the guest mounts it.
    public struct Mountpoint: Sendable, Equatable, Codable {
        /// Guest path.
        public var path: String
        /// Device.
        public var device: String
    }
}

extension Appliance {
    /// Inspects the attached disks and describes the one operating system on them.
    /// - Parameter diskName: Named in errors.
    /// - Returns: The operating system.
    /// - Throws: ``GuestfsError/noOperatingSystem(disk:)``, ``GuestfsError/multipleOperatingSystems(disk:roots:)``.
    public func inspectOperatingSystem(diskName: String) throws -> InspectedOperatingSystem {
        let roots = try strings(guestfs_inspect_os(handle), "inspect_os")
        guard let root = roots.first else { throw GuestfsError.noOperatingSystem(disk: diskName) }
        guard roots.count == 1 else { throw GuestfsError.multipleOperatingSystems(disk: diskName, roots: roots) }
        let mounts = try table(guestfs_inspect_get_mountpoints(handle, root), "inspect_get_mountpoints")
            .map { InspectedOperatingSystem.Mountpoint(path: $0.key, device: $0.value) }
            .sorted { ($0.path.count, $0.path) < ($1.path.count, $1.path) }
        return InspectedOperatingSystem(
            root: root,
            type: try string(guestfs_inspect_get_type(handle, root), "inspect_get_type"),
            distro: try string(guestfs_inspect_get_distro(handle, root), "inspect_get_distro"),
            majorVersion: Int(try check(guestfs_inspect_get_major_version(handle, root), "inspect_get_major_version")),
            minorVersion: Int(try check(guestfs_inspect_get_minor_version(handle, root), "inspect_get_minor_version")),
            arch: try string(guestfs_inspect_get_arch(handle, root), "inspect_get_arch"),
            productName: try string(guestfs_inspect_get_product_name(handle, root), "inspect_get_product_name"),
            packageManagement: try string(guestfs_inspect_get_package_management(handle, root), "inspect_get_package_management"),
            mountpoints: mounts
        )
    }

    /// Mounts every filesystem of `system` at its guest path.
    /// - Parameters:
    ///   - system: From ``inspectOperatingSystem(diskName:)``.
    ///   - readOnly: Mount read-only (`mount_ro`) or read-write.
    /// - Throws: ``GuestfsError/call(function:message:errno:)`` naming the device that failed.
    public func mountAll(_ system: InspectedOperatingSystem, readOnly: Bool) throws {
        for mount in system.mountpoints {
            let rc = readOnly ? guestfs_mount_ro(handle, mount.device, mount.path) : guestfs_mount(handle, mount.device, mount.path)
            try check(rc, "\(readOnly ? "mount_ro" : "mount") \(mount.device) on \(mount.path)")
        }
    }

    /// Mounts one device read-only.
    /// - Parameters:
    ///   - device: E.g. `/dev/sda1`.
    ///   - path: Guest mount point.
    /// - Throws: ``GuestfsError/call(function:message:errno:)``.
    public func mountReadOnly(_ device: String, at path: String = "/") throws {
        try check(guestfs_mount_ro(handle, device, path), "mount_ro \(device) on \(path)")
    }

    /// Reads a whole guest file (for small files: configuration, os-release).
    /// - Parameter path: Absolute guest path.
    /// - Returns: Its bytes.
    /// - Throws: ``GuestfsError/call(function:message:errno:)`` naming the path.
    public func readFile(_ path: String) throws -> Data {
        var size = 0
        guard let bytes = guestfs_read_file(handle, path, &size) else {
            throw GuestfsError.last(handle, function: "read_file \(path)")
        }
        defer { free(bytes) }
        return Data(bytes: bytes, count: size)
    }

    /// Unmounts everything mounted in the appliance.
    /// - Throws: ``GuestfsError/call(function:message:errno:)``.
    public func unmountAll() throws {
        try check(guestfs_umount_all(handle), "umount_all")
    }
}
