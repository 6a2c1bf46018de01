// What a file's bytes say it is (container magic, compression, text) and what a guest disk's first sectors hold
// (a partition table, a file system, or nothing): the checks that keep an HTML error page or an empty file
// from being published as a disk.
import Foundation

/// The kind of a file, from its first bytes (and its last sector, where VHD keeps its footer).
public enum DiskContent: Sendable, Equatable, CustomStringConvertible {
    /// A disk image container qemu-img knows, by its qemu-img format name (`qcow2`, `vmdk`, `vpc`, …).
    case image(format: String)
    /// A compressed or archive file (`gzip`, `xz`, `zstd`, `bzip2`, `zip`).
    case compressed(String)
    /// Text (HTML, JSON, a shell message): the first bytes, printable.
    case text(String)
    /// No container header: raw sectors.
    case raw

    public var description: String {
        switch self {
        case .image(let format): return "a \(format) image"
        case .compressed(let kind): return "\(kind)-compressed data (decompress it first)"
        case .text(let excerpt): return "text starting with \"\(excerpt)\""
        case .raw: return "raw data"
        }
    }

    /// The qemu-img format a file name's extension claims, if it names one.
    /// - Parameter path: The file name or path.
    /// - Returns: e.g. `qcow2` for `disk.qcow2`, `vpc` for `.vhd`; nil for `.img`, `.raw`, `.iso`, no extension.
    public static func claimedFormat(of path: String) -> String? {
        switch URL(fileURLWithPath: path).pathExtension.lowercased() {
        case "qcow2", "qcow", "qcow2c": return "qcow2"
        case "vmdk": return "vmdk"
        case "vhd", "vpc": return "vpc"
        case "vhdx": return "vhdx"
        case "vdi": return "vdi"
        case "qed": return "qed"
        default: return nil
        }
    }

    /// Classifies a file from its first bytes and its last 512 bytes.
    /// - Parameters:
    ///   - head: The first bytes (at least 4 KiB when the file has them).
    ///   - tail: The last 512 bytes (VHD's footer), empty when unknown.
    /// - Returns: The kind.
    public static func classify(head: [UInt8], tail: [UInt8] = []) -> DiskContent {
        func starts(_ magic: [UInt8], at offset: Int = 0, in bytes: [UInt8]? = nil) -> Bool {
            let bytes = bytes ?? head
            return bytes.count >= offset + magic.count && Array(bytes[offset..<(offset + magic.count)]) == magic
        }
        let ascii = { (text: String) in Array(text.utf8) }
        if starts([0x51, 0x46, 0x49, 0xFB]) { return .image(format: "qcow2") }
        if starts(ascii("QFI")) { return .image(format: "qcow") }
        if starts(ascii("KDMV")) || starts(ascii("# Disk DescriptorFile")) { return .image(format: "vmdk") }
        if starts(ascii("vhdxfile")) { return .image(format: "vhdx") }
        if starts(ascii("conectix")) || starts(ascii("conectix"), in: tail) { return .image(format: "vpc") }
        if starts([0x7F, 0x10, 0xDA, 0xBE], at: 0x40) { return .image(format: "vdi") }
        if starts(ascii("QED\0")) { return .image(format: "qed") }
        if starts([0x4C, 0x55, 0x4B, 0x53, 0xBA, 0xBE]) { return .image(format: "luks") }
        if starts([0x1F, 0x8B]) { return .compressed("gzip") }
        if starts([0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00]) { return .compressed("xz") }
        if starts([0x28, 0xB5, 0x2F, 0xFD]) { return .compressed("zstd") }
        if starts(ascii("BZh")) { return .compressed("bzip2") }
        if starts([0x50, 0x4B, 0x03, 0x04]) { return .compressed("zip") }
        // Text: the first 512 bytes (or all of a shorter file) printable UTF-8 with no NUL, with spaces or line breaks
        // and some variety (a test pattern of one repeated byte is raw data, not a message).
        let sample = head.prefix(512)
        if !sample.isEmpty, !sample.contains(0), sample.contains(where: { $0 == 0x20 || $0 == 0x0A }), Set(sample).count >= 5,
           sample.allSatisfy({ $0 >= 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D || $0 >= 0x80 }),
           let text = String(bytes: sample, encoding: .utf8) {
            let line = text.split(whereSeparator: \.isNewline).first.map(String.init) ?? text
            return .text(String(line.trimmingCharacters(in: .whitespaces).prefix(40)))
        }
        return .raw
    }

    /// What a guest disk's first sectors hold: a partition table or a file system, by its on-disk signature.
    /// - Parameter sectors: The guest disk's first 128 KiB (less when the disk is smaller).
    /// - Returns: e.g. `GPT partition table`, `ext4 file system`; nil when none is there (a blank disk).
    public static func guestLayout(_ sectors: [UInt8]) -> String? {
        func has(_ magic: [UInt8], at offset: Int) -> Bool {
            sectors.count >= offset + magic.count && Array(sectors[offset..<(offset + magic.count)]) == magic
        }
        let ascii = { (text: String) in Array(text.utf8) }
        if has(ascii("EFI PART"), at: 512) { return "GPT partition table" }
        if has(ascii("LABELONE"), at: 512) { return "LVM physical volume" }
        if has([0x53, 0xEF], at: 1080) { return "ext2/3/4 file system" }
        if has(ascii("XFSB"), at: 0) { return "XFS file system" }
        if has(ascii("_BHRfS_M"), at: 0x10040) { return "Btrfs file system" }
        if has(ascii("CD001"), at: 0x8001) { return "ISO 9660 file system" }
        if has(ascii("hsqs"), at: 0) { return "SquashFS file system" }
        if has([0x4C, 0x55, 0x4B, 0x53, 0xBA, 0xBE], at: 0) { return "LUKS volume" }
        if has(ascii("SWAPSPACE2"), at: 4086) || has(ascii("SWAP-SPACE"), at: 4086) { return "swap space" }
        if has([0x55, 0xAA], at: 510) {
            if has(ascii("FAT"), at: 54) || has(ascii("FAT32"), at: 82) || has(ascii("NTFS"), at: 3) || has(ascii("EXFAT"), at: 3) {
                return "FAT/NTFS/exFAT file system"
            }
            // An MBR: at least one partition entry with a type.
            for entry in 0..<4 where sectors[446 + entry * 16 + 4] != 0 { return "MBR partition table" }
        }
        return nil
    }
}
