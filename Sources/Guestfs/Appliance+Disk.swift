// A disk's partitions and file systems as the appliance sees them: list, label, UUID, mount, raw reads.
import CGuestfs

#if canImport(Glibc)
import Glibc
#endif

extension Appliance {
    /// The partitions the appliance sees, e.g. `["/dev/sda1"]`.
    /// - Throws: ``GuestfsError/call(function:message:errno:)``.
    public func partitions() throws -> [String] {
        try strings(guestfs_list_partitions(handle), "list_partitions")
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
