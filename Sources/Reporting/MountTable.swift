// The mount points this process sees below a path, read from the kernel's mount table.
import Foundation

/// The mount table of this process's mount namespace (`/proc/self/mounts`), asked one question: what is mounted at
/// or below a path. Scratch removal asks it before deleting a tree, so that a recursive delete never walks into a
/// file system mounted inside the tree (a chroot's `/proc`, `/sys` or `/dev`).
public enum MountTable {
    /// The kernel's table for this process.
    static let path = "/proc/self/mounts"

    /// Mount points at or below `directory`.
    /// - Parameters:
    ///   - directory: An absolute path (a trailing `/` is ignored).
    ///   - table: The table's text; read from `/proc/self/mounts` when `nil`.
    /// - Returns: The mount points, deepest last as the kernel lists them; empty when the table cannot be read.
    public static func mountPoints(under directory: String, table: String? = nil) -> [String] {
        guard let text = table ?? (try? String(contentsOfFile: path, encoding: .utf8)) else { return [] }
        var base = directory
        while base.count > 1, base.hasSuffix("/") { base.removeLast() }
        let prefix = base == "/" ? "/" : base + "/"
        return text.split(separator: "\n").compactMap { line -> String? in
            let fields = line.split(separator: " ", omittingEmptySubsequences: false)
            guard fields.count > 1 else { return nil }
            let point = unescape(fields[1])
            return point == base || point.hasPrefix(prefix) ? point : nil
        }
    }

    /// Undoes the kernel's octal escapes in a mount table field (`\040` space, `\011` tab, `\012` newline, `\134` backslash).
    /// - Parameter field: A field as the kernel wrote it.
    /// - Returns: The path.
    static func unescape(_ field: Substring) -> String {
        var bytes: [UInt8] = []
        let source = Array(field.utf8)
        var index = 0
        while index < source.count {
            if source[index] == UInt8(ascii: "\\"), index + 3 < source.count, let value = octalByte(source[(index + 1)...(index + 3)]) {
                bytes.append(value)
                index += 4
            } else {
                bytes.append(source[index])
                index += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Three octal digits as one byte, or nil.
    private static func octalByte(_ digits: ArraySlice<UInt8>) -> UInt8? {
        var value = 0
        for digit in digits {
            guard digit >= UInt8(ascii: "0"), digit <= UInt8(ascii: "7") else { return nil }
            value = value * 8 + Int(digit - UInt8(ascii: "0"))
        }
        return value <= 255 ? UInt8(value) : nil
    }
}
