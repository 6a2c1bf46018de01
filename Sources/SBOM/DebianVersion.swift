// dpkg's version ordering (deb-version(7)): epoch, then upstream and revision compared part by part.

/// Compares Debian package versions the way dpkg does.
public enum DebianVersion {
    /// Whether `lhs` sorts before `rhs` (`dpkg --compare-versions lhs lt rhs`).
    /// - Parameters:
    ///   - lhs: A version such as `1:2.36-9+deb12u4`.
    ///   - rhs: Another version.
    /// - Returns: True when `lhs` is older.
    public static func isOlder(_ lhs: String, than rhs: String) -> Bool {
        compare(lhs, rhs) < 0
    }

    /// -1, 0 or 1 as `lhs` is older, equal or newer than `rhs`.
    static func compare(_ lhs: String, _ rhs: String) -> Int {
        let (le, lu, lr) = split(lhs)
        let (re, ru, rr) = split(rhs)
        if le != re { return le < re ? -1 : 1 }
        let upstream = compareParts(lu, ru)
        return upstream != 0 ? upstream : compareParts(lr, rr)
    }

    private static func split(_ version: String) -> (Int, [UInt8], [UInt8]) {
        var rest = Substring(version)
        var epoch = 0
        if let colon = rest.firstIndex(of: ":"), let value = Int(rest[..<colon]) {
            epoch = value
            rest = rest[rest.index(after: colon)...]
        }
        if let dash = rest.lastIndex(of: "-") {
            return (epoch, Array(rest[..<dash].utf8), Array(rest[rest.index(after: dash)...].utf8))
        }
        return (epoch, Array(rest.utf8), [])
    }

    /// Alternating non-digit and digit runs; `~` sorts before everything, even the end.
    private static func compareParts(_ a: [UInt8], _ b: [UInt8]) -> Int {
        var i = 0, j = 0
        while i < a.count || j < b.count {
            var firstDiff = 0
            while (i < a.count && !isDigit(a[i])) || (j < b.count && !isDigit(b[j])) {
                let ac = i < a.count && !isDigit(a[i]) ? order(a[i]) : 0
                let bc = j < b.count && !isDigit(b[j]) ? order(b[j]) : 0
                if ac != bc { return ac < bc ? -1 : 1 }
                if i < a.count && !isDigit(a[i]) { i += 1 }
                if j < b.count && !isDigit(b[j]) { j += 1 }
            }
            while i < a.count && a[i] == UInt8(ascii: "0") { i += 1 }
            while j < b.count && b[j] == UInt8(ascii: "0") { j += 1 }
            while i < a.count && isDigit(a[i]) && j < b.count && isDigit(b[j]) {
                if firstDiff == 0 { firstDiff = Int(a[i]) - Int(b[j]) }
                i += 1
                j += 1
            }
            if i < a.count && isDigit(a[i]) { return 1 }
            if j < b.count && isDigit(b[j]) { return -1 }
            if firstDiff != 0 { return firstDiff < 0 ? -1 : 1 }
        }
        return 0
    }

    private static func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }

    private static func order(_ c: UInt8) -> Int {
        if c == UInt8(ascii: "~") { return -1 }
        if (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z")) || (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) { return Int(c) }
        return Int(c) + 256
    }
}
