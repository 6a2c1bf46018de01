// Parsers for the checksum files publishers put next to their images.
import Foundation
import LabforgeRecipe

/// How a checksum file is written.
public enum ChecksumFileFormat: String, Sendable, Hashable, Codable {
    /// GNU coreutils: `<hex>  <file>` or `<hex> *<file>` (Debian SHA512SUMS, Ubuntu SHA256SUMS, openSUSE `.sha256`).
    case gnu
    /// BSD tag lines: `SHA256 (<file>) = <hex>` (Fedora CHECKSUM, AlmaLinux CHECKSUM), often inside a
    /// PGP clearsigned block with `#` comment lines.
    case bsd
}

/// One parsed checksum file: file name → checksums.
public struct ChecksumFile: Sendable, Equatable {
    /// Every entry, keyed by the file name as listed (without a leading `*` or `./`).
    public var entries: [String: [Checksum]]

    /// Parses `text` in either format (each line is tried as both, so mixed files work too).
    /// - Parameter text: The file's contents.
    public init(parsing text: String) {
        var entries: [String: [Checksum]] = [:]
        for rawLine in text.split(whereSeparator: \.isNewline) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix("-----") || line.hasPrefix("Hash:") { continue }
            guard let (name, checksum) = Self.parseBSD(line) ?? Self.parseGNU(line) else { continue }
            entries[name, default: []].append(checksum)
        }
        self.entries = entries
    }

    /// The checksums listed for a file (matched by its last path component).
    /// - Parameter fileName: E.g. `debian-13-genericcloud-amd64-20260712-2537.qcow2`.
    /// - Returns: Its checksums (one per algorithm listed), empty when absent.
    public func checksums(for fileName: String) -> [Checksum] {
        let base = fileName.split(separator: "/").last.map(String.init) ?? fileName
        return entries[base] ?? []
    }

    /// `SHA256 (file) = hex`
    static func parseBSD(_ line: String) -> (String, Checksum)? {
        guard let open = line.firstIndex(of: "("), let close = line.range(of: ") = ", options: .backwards) else { return nil }
        let algorithm = line[..<open].trimmingCharacters(in: .whitespaces).lowercased()
        let name = String(line[line.index(after: open)..<close.lowerBound])
        let hex = String(line[close.upperBound...]).trimmingCharacters(in: .whitespaces)
        guard let checksum = try? Checksum.parse("\(algorithm):\(hex)") else { return nil }
        return (normalize(name), checksum)
    }

    /// `hex  file` / `hex *file`
    static func parseGNU(_ line: String) -> (String, Checksum)? {
        guard let space = line.firstIndex(of: " ") else { return nil }
        let hex = String(line[..<space])
        var name = line[space...].trimmingCharacters(in: .whitespaces)
        if name.hasPrefix("*") { name.removeFirst() }
        guard !name.isEmpty, let checksum = try? Checksum.parse(hex) else { return nil }
        return (normalize(name), checksum)
    }

    private static func normalize(_ name: String) -> String {
        let trimmed = name.hasPrefix("./") ? String(name.dropFirst(2)) : name
        return trimmed.split(separator: "/").last.map(String.init) ?? trimmed
    }
}
