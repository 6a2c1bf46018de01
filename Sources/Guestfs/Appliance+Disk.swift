// Making a disk from nothing: partition tables, filesystems, tar-in of a root tree, EXTLINUX.
import CGuestfs

#if canImport(Glibc)
import Glibc
#endif

// The GUESTFS_*_BITMASK macros are written with UINT64_C(1)<<n and do not import into Swift.
private let mkfsLabelBit: UInt64 = 1 << 4
private let tarInXattrsBit: UInt64 = 1 << 1
private let tarInAclsBit: UInt64 = 1 << 3

/// Partition table types libguestfs can write.
public enum PartitionTableType: String, Sendable {
    /// DOS/MBR: what SeaBIOS and KubeVirt's default BIOS firmware boot with EXTLINUX.
    case mbr = "msdos"
    /// GUID partition table.
    case gpt
}

extension Appliance {
    /// Writes an empty partition table, destroying what was on the device.
    /// - Parameters:
    ///   - device: Whole disk, e.g. `/dev/sda`.
    ///   - type: MBR or GPT.
    /// - Throws: ``GuestfsError/call(function:message:errno:)``.
    public func createPartitionTable(on device: String, type: PartitionTableType) throws {
        try check(guestfs_part_init(handle, device, type.rawValue), "part_init \(device) \(type.rawValue)")
    }

    /// Adds a primary partition.
    /// - Parameters:
    ///   - device: Whole disk.
    ///   - startSector: First sector (2048 aligns to 1 MiB).
    ///   - endSector: Last sector; negative counts back from the end of the disk (-1 = last usable).
    /// - Throws: ``GuestfsError/call(function:message:errno:)``.
    public func addPrimaryPartition(on device: String, startSector: Int64, endSector: Int64) throws {
        try check(guestfs_part_add(handle, device, "p", startSector, endSector), "part_add \(device) p \(startSector) \(endSector)")
    }

    /// Sets or clears the MBR bootable flag of a partition.
    /// - Parameters:
    ///   - device: Whole disk.
    ///   - partition: Partition number, from 1.
    ///   - bootable: The flag.
    /// - Throws: ``GuestfsError/call(function:message:errno:)``.
    public func setBootable(on device: String, partition: Int32, _ bootable: Bool) throws {
        try check(guestfs_part_set_bootable(handle, device, partition, bootable ? 1 : 0), "part_set_bootable \(device) \(partition)")
    }

    /// The partitions the appliance sees, e.g. `["/dev/sda1"]`.
    /// - Throws: ``GuestfsError/call(function:message:errno:)``.
    public func partitions() throws -> [String] {
        try strings(guestfs_list_partitions(handle), "list_partitions")
    }

    /// Creates a filesystem.
    /// - Parameters:
    ///   - type: `ext4`, `vfat`, `xfs`, …
    ///   - device: Partition.
    ///   - label: Filesystem label (what `root=LABEL=` and fstab use).
    /// - Throws: ``GuestfsError/call(function:message:errno:)``.
    public func makeFilesystem(_ type: String, on device: String, label: String? = nil) throws {
        let rc = (label ?? "").withCString { labelPointer in
            var options = guestfs_mkfs_opts_argv()
            if label != nil {
                options.bitmask |= mkfsLabelBit
                options.label = labelPointer
            }
            return guestfs_mkfs_opts_argv(handle, type, device, &options)
        }
        try check(rc, "mkfs \(type) \(device)")
    }

    /// The UUID of a filesystem.
    /// - Parameter device: Partition.
    /// - Returns: The UUID as `blkid` prints it.
    /// - Throws: ``GuestfsError/call(function:message:errno:)``.
    public func filesystemUUID(_ device: String) throws -> String {
        try string(guestfs_vfs_uuid(handle, device), "vfs_uuid \(device)")
    }

    /// The label of a filesystem.
    /// - Parameter device: Partition.
    /// - Returns: The label, empty when none.
    /// - Throws: ``GuestfsError/call(function:message:errno:)``.
    public func filesystemLabel(_ device: String) throws -> String {
        try string(guestfs_vfs_label(handle, device), "vfs_label \(device)")
    }

    /// Mounts a device read-write.
    /// - Parameters:
    ///   - device: Partition.
    ///   - path: Guest mount point (`/` first).
    /// - Throws: ``GuestfsError/call(function:message:errno:)``.
    public func mount(_ device: String, at path: String = "/") throws {
        try check(guestfs_mount(handle, device, path), "mount \(device) on \(path)")
    }

    /// Unpacks an uncompressed host tar file into a guest directory, streamed.
    /// - Parameters:
    ///   - tarPath: Tar file on the host.
    ///   - directory: Guest directory.
    ///   - xattrs: Restore extended attributes (file capabilities such as ping's live there).
    ///   - acls: Restore POSIX ACLs.
    /// - Throws: ``GuestfsError/call(function:message:errno:)``.
    public func unpackTar(_ tarPath: String, into directory: String, xattrs: Bool = true, acls: Bool = true) throws {
        var options = guestfs_tar_in_opts_argv()
        options.bitmask = tarInXattrsBit | tarInAclsBit
        options.xattrs = xattrs ? 1 : 0
        options.acls = acls ? 1 : 0
        try check(guestfs_tar_in_opts_argv(handle, tarPath, directory, &options), "tar_in \(tarPath) into \(directory)")
    }

    /// Installs the EXTLINUX boot sector into the filesystem holding `directory`, using the
    /// appliance's (the host's) extlinux: the guest needs no bootloader package.
    /// - Parameter directory: Guest directory that holds `extlinux.conf`, e.g. `/boot/extlinux`.
    /// - Throws: ``GuestfsError/call(function:message:errno:)``.
    public func installExtlinux(in directory: String) throws {
        try check(guestfs_extlinux(handle, directory), "extlinux \(directory)")
    }
}

extension Appliance {
    /// Reads raw bytes from a device (boot sectors, partition tables).
    /// - Parameters:
    ///   - device: E.g. `/dev/sda`.
    ///   - count: Bytes to read.
    ///   - offset: Byte offset.
    /// - Returns: The bytes (fewer at the end of the device).
    /// - Throws: ``GuestfsError/call(function:message:errno:)``.
    public func readDevice(_ device: String, count: Int32, offset: Int64) throws -> [UInt8] {
        var size = 0
        guard let buffer = guestfs_pread_device(handle, device, count, offset, &size) else {
            throw GuestfsError.last(handle, function: "pread_device \(device)")
        }
        defer { free(buffer) }
        return buffer.withMemoryRebound(to: UInt8.self, capacity: size) { Array(UnsafeBufferPointer(start: $0, count: size)) }
    }
}
