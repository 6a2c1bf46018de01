// Puts GRUB's i386-pc boot sector and core image on a GPT disk: what grub-bios-setup does, on a disk file.
import Foundation

/// GRUB for BIOS on a GPT disk: `boot.img` in the protective MBR's 440 bytes of boot code, pointing at `core.img`
/// in the BIOS boot partition, whose first sector (`diskboot.img`) loads the rest of it by a block list.
///
/// `grub-bios-setup` needs a block device; the disk here is a file being assembled, so the same few fields are set
/// here (GRUB's `include/grub/i386/pc/boot.h` and `diskboot.S`): the core's first sector in `boot.img`, the block
/// list's start in `core.img`, and the hard-disk drive check. Each field is checked to hold GRUB's default first,
/// so a GRUB whose images changed shape is refused rather than written.
struct GrubPCBoot: Sendable {
    /// `boot.img` (512 bytes).
    var bootImage: String
    /// `core.img` made by `grub-mkimage -O i386-pc`.
    var coreImage: String

    /// Byte offset in `boot.img` of the 64-bit sector number of the core's first sector.
    static let kernelSectorOffset = 0x5C
    /// Byte offset of the boot drive (0xFF: the drive the BIOS booted from).
    static let bootDriveOffset = 0x64
    /// Byte offset of the two-byte short jump that skips the hard-disk drive check (NOPs on a hard disk).
    static let driveCheckOffset = 0x66
    /// Boot code bytes in an MBR (the disk signature and partition table follow).
    static let bootCodeBytes = 440
    /// Byte offset in `core.img`'s first sector of its block list: start sector (64 bit), sectors (16 bit), segment (16 bit).
    static let blockListOffset = 512 - 12

    /// Writes both images into `disk`, leaving the partition table alone.
    /// - Parameters:
    ///   - disk: The raw disk.
    ///   - coreSector: First sector of the BIOS boot partition.
    ///   - coreSectorsAvailable: Its length in sectors.
    /// - Throws: ``BasesError/bootImageUnusable(path:reason:)`` when an image is not what GRUB makes, or file errors.
    func install(into disk: String, coreSector: Int64, coreSectorsAvailable: Int64) throws {
        var boot = [UInt8](try Data(contentsOf: URL(fileURLWithPath: bootImage)))
        var core = [UInt8](try Data(contentsOf: URL(fileURLWithPath: coreImage)))
        guard boot.count == 512, boot[510] == 0x55, boot[511] == 0xAA else {
            throw BasesError.bootImageUnusable(path: bootImage, reason: "not a 512-byte boot sector ending in 55 AA")
        }
        guard boot[Self.driveCheckOffset] == 0xEB else {
            throw BasesError.bootImageUnusable(path: bootImage, reason: "no short jump at the drive check (0x66): a GRUB this code does not know")
        }
        let coreSectors = (core.count + 511) / 512
        guard coreSectors >= 2, Int64(coreSectors) <= coreSectorsAvailable else {
            throw BasesError.bootImageUnusable(
                path: coreImage, reason: "\(core.count) bytes do not fit the BIOS boot partition (\(coreSectorsAvailable) sectors)")
        }
        // grub-mkimage leaves the block list at its default: the rest of the core from sector 2, that many sectors.
        let defaultStart = Self.littleEndian(core, at: Self.blockListOffset, bytes: 8)
        let listedSectors = Self.littleEndian(core, at: Self.blockListOffset + 8, bytes: 2)
        guard defaultStart == 2, listedSectors == UInt64(coreSectors - 1) else {
            throw BasesError.bootImageUnusable(
                path: coreImage, reason: "block list says start \(defaultStart), \(listedSectors) sectors; expected 2 and \(coreSectors - 1)")
        }
        Self.store(UInt64(coreSector + 1), in: &core, at: Self.blockListOffset, bytes: 8)
        Self.store(UInt64(coreSector), in: &boot, at: Self.kernelSectorOffset, bytes: 8)
        boot[Self.bootDriveOffset] = 0xFF
        boot[Self.driveCheckOffset] = 0x90
        boot[Self.driveCheckOffset + 1] = 0x90
        core += [UInt8](repeating: 0, count: coreSectors * 512 - core.count)

        guard let handle = FileHandle(forWritingAtPath: disk) else { throw BasesError.cacheUnusable(path: disk, reason: "cannot open the raw disk") }
        defer { try? handle.close() }
        try handle.seek(toOffset: 0)
        try handle.write(contentsOf: Data(boot.prefix(Self.bootCodeBytes)))
        try handle.seek(toOffset: UInt64(coreSector * 512))
        try handle.write(contentsOf: Data(core))
    }

    static func littleEndian(_ bytes: [UInt8], at offset: Int, bytes count: Int) -> UInt64 {
        (0..<count).reduce(UInt64(0)) { $0 | UInt64(bytes[offset + $1]) << (8 * $1) }
    }

    static func store(_ value: UInt64, in bytes: inout [UInt8], at offset: Int, bytes count: Int) {
        for index in 0..<count { bytes[offset + index] = UInt8(truncatingIfNeeded: value >> (8 * index)) }
    }
}
