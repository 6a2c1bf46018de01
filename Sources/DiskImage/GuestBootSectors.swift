// What a guest disk's first sectors say about how it can boot: boot code in the MBR (BIOS), and the GPT's partition
// types (a Discoverable Partitions root type names the architecture).

/// The boot-related facts of a guest disk's first sectors (pure: unit-tested on built byte arrays).
public struct GuestBootSectors: Sendable, Equatable {
    /// Whether sector 0 is an MBR with boot code: the 0x55AA signature and not all of its 440 code bytes zero. A
    /// disk without it (a UEFI-only disk: an arm64 one, or an amd64 one made without BIOS boot) leaves SeaBIOS
    /// jumping into nothing, silently.
    public var hasBIOSBootCode: Bool
    /// The types of the GPT's used partition entries, uppercase, in table order; empty without a GPT (or with
    /// entries beyond the sectors read).
    public var partitionTypes: [String]

    /// Reads the facts from the guest disk's first sectors.
    /// - Parameter sectors: The guest disk's first bytes (``QemuImg/guestStart(_:format:)`` reads 128 KiB: enough for
    ///   the MBR, the GPT header and a 128-entry table).
    public init(_ sectors: [UInt8]) {
        let signed = sectors.count >= 512 && sectors[510] == 0x55 && sectors[511] == 0xAA
        hasBIOSBootCode = signed && sectors[0..<440].contains { $0 != 0 }
        partitionTypes = Self.gptPartitionTypes(sectors)
    }

    /// The used entries' type GUIDs of the GPT whose header is at LBA 1 (512-byte sectors).
    static func gptPartitionTypes(_ sectors: [UInt8]) -> [String] {
        let header = 512
        guard sectors.count >= header + 92, Array(sectors[header..<(header + 8)]) == Array("EFI PART".utf8) else { return [] }
        func little(_ offset: Int, _ width: Int) -> UInt64 {
            (0..<width).reduce(UInt64(0)) { $0 | UInt64(sectors[offset + $1]) << (8 * UInt64($1)) }
        }
        let entriesLBA = little(header + 72, 8)
        let count = little(header + 80, 4)
        let size = little(header + 84, 4)
        // A sane table: 128-byte (or larger, a multiple of 8) entries, at most 1024 of them, inside what was read.
        guard size >= 128, size % 8 == 0, size <= 1024, count <= 1024, entriesLBA >= 2, entriesLBA < UInt64(sectors.count / 512) else { return [] }
        var types: [String] = []
        for index in 0..<Int(count) {
            let start = Int(entriesLBA) * 512 + index * Int(size)
            guard start + 16 <= sectors.count else { break }
            let guid = Array(sectors[start..<(start + 16)])
            guard guid.contains(where: { $0 != 0 }) else { continue }
            types.append(Self.guidText(guid))
        }
        return types
    }

    /// A GUID's on-disk bytes as text: the first three fields little-endian, the rest as stored.
    static func guidText(_ bytes: [UInt8]) -> String {
        func hex(_ slice: [UInt8]) -> String { slice.map { String($0, radix: 16, uppercase: true).leftPadded(to: 2) }.joined() }
        return [
            hex(bytes[0..<4].reversed()), hex(bytes[4..<6].reversed()), hex(bytes[6..<8].reversed()),
            hex(Array(bytes[8..<10])), hex(Array(bytes[10..<16])),
        ].joined(separator: "-")
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
