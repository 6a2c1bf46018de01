// Writes a partitioned raw disk with an ext4 root filesystem from a root tree on the host, without a VM.
import Crypto
import Foundation

/// The bootstrapped disk's layout made on the host: an MBR table written by `sfdisk`, one bootable
/// partition from sector 2048 to the end, and an ext4 filesystem written into it by `mke2fs -d` straight
/// from the root tree (`-E offset=`: no intermediate partition image, no copy).
///
/// Under TCG this replaces ≈ 55 s of partition, mkfs and tar unpack in the libguestfs appliance with a
/// few seconds of native work. Only the boot loader still needs a mounted filesystem (see
/// ``DebianBootstrapper``).
struct HostDiskLayout: Sendable, Equatable {
    /// First sector of the root partition (1 MiB, the usual alignment; EXTLINUX's MBR code needs none).
    static let partitionStartSector: Int64 = 2048
    static let sectorSize: Int64 = 512

    /// Virtual size of the whole disk in bytes.
    var diskBytes: Int64
    /// Filesystem label (fstab and the kernel command line find the root by it).
    var label: String
    /// Filesystem UUID, also used as the directory hash seed.
    var uuid: String
    /// MBR disk identifier (`label-id`), fixed so the table is reproducible.
    var diskIdentifier: UInt32
    /// Seconds since the epoch for every time mke2fs itself stamps (superblock, inode change times);
    /// `nil` leaves the clock. File modification times come from the tree.
    var epoch: Int?

    /// Byte offset of the partition in the disk.
    var partitionOffset: Int64 { Self.partitionStartSector * Self.sectorSize }
    /// Sectors of the partition (to the end of the disk, as `part-add … -1` did).
    var partitionSectors: Int64 { diskBytes / Self.sectorSize - Self.partitionStartSector }
    /// Size of the filesystem in 4 KiB blocks (whole blocks of the partition).
    var filesystemBlocks: Int64 { partitionSectors * Self.sectorSize / 4096 }

    /// The layout for a base of `sizeGiB`, with identifiers derived from `seed` and the epoch so the
    /// same inputs give the same UUID and disk id.
    /// - Parameters:
    ///   - sizeGiB: Virtual disk size.
    ///   - label: Filesystem label.
    ///   - seed: Stable text naming the base (e.g. its suite).
    ///   - epoch: `SOURCE_DATE_EPOCH`, if set.
    static func make(sizeGiB: Int, label: String, seed: String, epoch: Int?) -> HostDiskLayout {
        let digest = Array(SHA256.hash(data: Data("labforge rootfs\u{0}\(seed)\u{0}\(epoch.map(String.init) ?? "")".utf8)))
        var bytes = Array(digest.prefix(16))
        bytes[6] = (bytes[6] & 0x0F) | 0x50  // name-based (version 5 shape)
        bytes[8] = (bytes[8] & 0x3F) | 0x80  // RFC 4122 variant
        let hex = bytes.map { String(format: "%02x", $0) }.joined()
        let uuid = [hex.prefix(8), hex.dropFirst(8).prefix(4), hex.dropFirst(12).prefix(4), hex.dropFirst(16).prefix(4), hex.dropFirst(20)]
            .map(String.init).joined(separator: "-")
        let identifier = digest[16..<20].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        return HostDiskLayout(diskBytes: Int64(sizeGiB) << 30, label: label, uuid: uuid, diskIdentifier: identifier == 0 ? 1 : identifier, epoch: epoch)
    }

    /// The `sfdisk` script: a DOS table with one bootable Linux partition filling the disk.
    var sfdiskScript: String {
        """
        label: dos
        label-id: 0x\(String(format: "%08x", diskIdentifier))
        unit: sectors

        start=\(Self.partitionStartSector), size=\(partitionSectors), type=83, bootable

        """
    }

    /// The `mke2fs` arguments that write the filesystem from `rootTree` into `disk` at the partition's offset.
    /// - Parameters:
    ///   - rootTree: Host directory holding the root tree.
    ///   - disk: Raw disk file.
    func mke2fsArguments(rootTree: String, disk: String) -> [String] {
        [
            "-q", "-F", "-t", "ext4", "-b", "4096", "-L", label, "-U", uuid,
            "-E", "offset=\(partitionOffset),root_owner=0:0,hash_seed=\(uuid)",
            "-d", rootTree, disk, "\(filesystemBlocks)",
        ]
    }

    /// The environment for `mke2fs`: a fixed clock when an epoch is given.
    var mke2fsEnvironment: [String: String] {
        epoch.map { ["E2FSPROGS_FAKE_TIME": String($0)] } ?? [:]
    }

    /// Writes the raw disk: sparse file, partition table, filesystem from the tree, MBR boot code.
    /// - Parameters:
    ///   - rootTree: Host directory holding the root tree (read as root: it holds 0600 files).
    ///   - disk: Raw disk file to create.
    ///   - bootCode: Host file whose first 440 bytes become the MBR boot code (`nil`: none).
    ///   - log: Receives the tools' output.
    /// - Throws: ``BasesError/toolFailed(tool:arguments:status:output:)`` and file errors.
    func write(rootTree: String, to disk: String, bootCode: String?, log: (@Sendable (String) -> Void)?) async throws {
        guard FileManager.default.createFile(atPath: disk, contents: nil),
              let handle = FileHandle(forWritingAtPath: disk)
        else { throw BasesError.cacheUnusable(path: disk, reason: "cannot create the raw disk") }
        try handle.truncate(atOffset: UInt64(diskBytes))
        try handle.close()
        let script = FileManager.default.temporaryDirectory.appendingPathComponent("labforge-sfdisk-\(UUID().uuidString)").path
        try sfdiskScript.write(toFile: script, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: script) }
        try await ExternalTool.sfdisk.run(["--quiet", "--no-reread", "--no-tell-kernel", disk], standardInput: script, output: log)
        try await ExternalTool.mke2fs.run(mke2fsArguments(rootTree: rootTree, disk: disk), environment: mke2fsEnvironment, output: log)
        if let bootCode { try Self.writeBootCode(from: bootCode, into: disk) }
    }

    /// Copies the 440 bytes of MBR boot code before the disk signature and partition table.
    static func writeBootCode(from bootCode: String, into disk: String) throws {
        let code = try Data(contentsOf: URL(fileURLWithPath: bootCode)).prefix(440)
        guard let handle = FileHandle(forWritingAtPath: disk) else { throw BasesError.cacheUnusable(path: disk, reason: "cannot open the raw disk") }
        defer { try? handle.close() }
        try handle.seek(toOffset: 0)
        try handle.write(contentsOf: code)
    }
}
