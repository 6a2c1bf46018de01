// Reads the regular files and symlinks of an uncompressed tar held in memory (ustar, GNU long names, pax paths).
import Foundation

/// The entries of a tar archive that an SBOM reader needs: file contents and symlink targets, by path.
struct TarEntries {
    /// `relative/path` (no leading `./`) → contents, for regular files.
    var files: [String: Data] = [:]
    /// `relative/path` → link target, for symbolic links.
    var links: [String: String] = [:]

    /// Parses `data`; `keep` decides which regular files' contents are kept (others are skipped, not copied).
    init(_ data: Data, keep: (String) -> Bool) {
        let bytes = [UInt8](data)
        var offset = 0
        var longName: String?
        while offset + 512 <= bytes.count {
            let header = bytes[offset..<offset + 512]
            if header.allSatisfy({ $0 == 0 }) { break }
            let size = Self.octal(header, 124, 12)
            let type = header[header.startIndex + 156]
            let dataStart = offset + 512
            let dataEnd = min(dataStart + size, bytes.count)
            var name = longName ?? {
                let prefix = Self.text(header, 345, 155)
                let base = Self.text(header, 0, 100)
                return prefix.isEmpty ? base : prefix + "/" + base
            }()
            longName = nil
            switch type {
            case UInt8(ascii: "L"):  // GNU long name for the next entry
                longName = String(decoding: bytes[dataStart..<dataEnd].prefix { $0 != 0 }, as: UTF8.self)
            case UInt8(ascii: "x"):  // pax extended header: only `path` matters here
                let records = String(decoding: bytes[dataStart..<dataEnd], as: UTF8.self)
                for record in records.split(separator: "\n") {
                    if let range = record.range(of: " path=") { longName = String(record[range.upperBound...]) }
                }
            default:
                if name.hasPrefix("./") { name.removeFirst(2) }
                while name.hasSuffix("/") { name.removeLast() }
                if type == UInt8(ascii: "0") || type == 0 {
                    if keep(name) { files[name] = Data(bytes[dataStart..<dataEnd]) }
                } else if type == UInt8(ascii: "2") {
                    links[name] = Self.text(header, 157, 100)
                }
            }
            offset = dataStart + (size + 511) / 512 * 512
        }
    }

    private static func text(_ header: ArraySlice<UInt8>, _ at: Int, _ length: Int) -> String {
        let start = header.startIndex + at
        return String(decoding: header[start..<start + length].prefix { $0 != 0 }, as: UTF8.self)
    }

    private static func octal(_ header: ArraySlice<UInt8>, _ at: Int, _ length: Int) -> Int {
        let field = text(header, at, length).trimmingCharacters(in: CharacterSet(charactersIn: " \0"))
        return Int(field, radix: 8) ?? 0
    }
}
