// Calls the customization engine needs beyond the basics: partitions, filesystem growth, filesystem types.
import CGuestfs

/// `GUESTFS_E2FSCK_FORCEALL_BITMASK` (`UINT64_C(1)<<1` does not import into Swift).
private let e2fsckForceAllBitmask: UInt64 = 1 << 1

/// Partition table types libguestfs reads.
public enum PartitionTableType: String, Sendable {
    /// DOS/MBR.
    case mbr = "msdos"
    /// GUID partition table (what labforge's bootstrapped disks have).
    case gpt
}

extension Appliance {
    /// The filesystem type on a device or partition (`ext4`, `xfs`, `btrfs`, …).
    /// - Parameter device: E.g. `/dev/sda1`.
    /// - Returns: The type.
    /// - Throws: ``GuestfsError/call(function:message:errno:)``.
    public func filesystemType(_ device: String) throws -> String {
        try string(guestfs_vfs_type(handle, device), "vfs_type \(device)")
    }

    /// Splits a partition device into its disk and number (`/dev/sda1` → `/dev/sda`, 1).
    /// - Parameter partition: A partition device.
    /// - Returns: Disk device and partition number.
    /// - Throws: ``GuestfsError/call(function:message:errno:)`` when it is not a partition.
    public func partitionLocation(_ partition: String) throws -> (disk: String, number: Int) {
        let disk = try string(guestfs_part_to_dev(handle, partition), "part_to_dev \(partition)")
        let number = try check(guestfs_part_to_partnum(handle, partition), "part_to_partnum \(partition)")
        return (disk, Int(number))
    }

    /// The partition table type of a disk.
    /// - Parameter disk: E.g. `/dev/sda`.
    /// - Returns: The type, or `nil` for one labforge does not handle.
    /// - Throws: ``GuestfsError/call(function:message:errno:)``.
    public func partitionTableType(_ disk: String) throws -> PartitionTableType? {
        PartitionTableType(rawValue: try string(guestfs_part_get_parttype(handle, disk), "part_get_parttype \(disk)"))
    }

    /// Size of a device in 512-byte sectors.
    /// - Parameter device: E.g. `/dev/sda`.
    /// - Returns: Sector count.
    /// - Throws: ``GuestfsError/call(function:message:errno:)``.
    public func sectorCount(_ device: String) throws -> Int64 {
        try check64(guestfs_blockdev_getsz(handle, device), "blockdev_getsz \(device)")
    }

    /// Moves a GPT's backup header to the end of a disk that has grown.
    /// - Parameter disk: E.g. `/dev/sda`.
    /// - Throws: ``GuestfsError/call(function:message:errno:)``.
    public func moveGPTBackupToEnd(_ disk: String) throws {
        try check(guestfs_part_expand_gpt(handle, disk), "part_expand_gpt \(disk)")
    }

    /// Moves a partition's end sector (its start stays).
    /// - Parameters:
    ///   - disk: E.g. `/dev/sda`.
    ///   - number: Partition number.
    ///   - endSector: The new last sector.
    /// - Throws: ``GuestfsError/call(function:message:errno:)``.
    public func resizePartition(disk: String, number: Int, endSector: Int64) throws {
        try check(guestfs_part_resize(handle, disk, Int32(number), endSector), "part_resize \(disk) \(number)")
    }

    /// Checks an unmounted ext2/3/4 filesystem (`e2fsck -f`, as resize2fs requires) and grows it to its device.
    /// - Parameter device: An unmounted ext filesystem.
    /// - Throws: ``GuestfsError/call(function:message:errno:)``.
    public func growExtFilesystem(_ device: String) throws {
        var options = guestfs_e2fsck_argv()
        options.bitmask = e2fsckForceAllBitmask
        options.forceall = 1
        try check(guestfs_e2fsck_argv(handle, device, &options), "e2fsck \(device)")
        try check(guestfs_resize2fs(handle, device), "resize2fs \(device)")
    }

    /// Unmounts one mount point.
    /// - Parameter path: Guest mount point.
    /// - Throws: ``GuestfsError/call(function:message:errno:)``.
    public func unmount(_ path: String) throws {
        try check(guestfs_umount(handle, path), "umount \(path)")
    }
}
