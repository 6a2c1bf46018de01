// Package URLs (purl, github.com/package-url/purl-spec) for Debian packages.

/// Builds `pkg:deb/…` package URLs.
public enum PackageURL {
    /// The purl of a Debian binary package, e.g. `pkg:deb/debian/ttyd@1.7.7-8?arch=amd64&distro=debian-13`.
    /// - Parameters:
    ///   - package: The installed package.
    ///   - vendor: Lower-case distribution id (`debian`, `ubuntu`).
    ///   - distro: The `distro` qualifier, e.g. `debian-13`; omitted when nil.
    /// - Returns: The purl; the version is percent-encoded (`+` → `%2B`, `:` → `%3A`).
    public static func debian(_ package: InstalledPackage, vendor: String = "debian", distro: String?) -> String {
        var qualifiers = ["arch=\(encode(package.architecture))"]
        if let distro { qualifiers.append("distro=\(encode(distro))") }
        return "pkg:deb/\(encode(vendor))/\(encode(package.name))@\(encode(package.version))?\(qualifiers.joined(separator: "&"))"
    }

    /// Percent-encodes everything but RFC 3986 unreserved characters.
    static func encode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.append(Character(UnicodeScalar(byte)))
            default:
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }

    /// Decodes `%XX` escapes (for reading purls back from SBOM files).
    static func decode(_ text: String) -> String {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%"), let high = iterator.next(), let low = iterator.next(),
               let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16) {
                bytes.append(value)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
