// IPv4 CIDR ranges for NetworkPolicy ipBlocks: parsed, checked canonical, compared.

/// An IPv4 range `a.b.c.d/n` with no host bits set (the form the API server keeps without warnings).
public struct IPv4Range: Sendable, Hashable, CustomStringConvertible {
    /// The network address.
    public let address: UInt32
    /// Prefix length, 0–32.
    public let prefixLength: Int

    /// Every IPv4 address.
    public static let everything = IPv4Range(address: 0, prefixLength: 0)
    /// The cloud metadata service, which must never be reachable from a lab VM.
    public static let metadataService = try! IPv4Range(parsing: "169.254.169.254/32")
    /// What a lab VM may not reach by default: the private ranges (where pod, service and node networks
    /// usually live), link-local (metadata services) and carrier-grade NAT (some clusters' pod ranges).
    public static let defaultDenied = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "100.64.0.0/10"]
        .map { try! IPv4Range(parsing: $0) }

    init(address: UInt32, prefixLength: Int) {
        self.address = address
        self.prefixLength = prefixLength
    }

    /// Parses `a.b.c.d/n`.
    /// - Parameter text: The range.
    /// - Throws: ``KubeError/invalidSetting(name:value:reason:)`` for IPv6, a bad address or prefix, or host bits set.
    public init(parsing text: String) throws {
        let invalid = { (reason: String) in KubeError.invalidSetting(name: "CIDR", value: text, reason: reason) }
        if text.contains(":") { throw invalid("only IPv4 ranges are supported (IPv6 egress is never allowed)") }
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let length = Int(parts[1]), (0...32).contains(length) else {
            throw invalid("expected a.b.c.d/n with n from 0 to 32")
        }
        let octets = parts[0].split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4 else { throw invalid("expected four dot-separated numbers") }
        var address: UInt32 = 0
        for octet in octets {
            guard octet.count <= 3, octet.allSatisfy(\.isASCII), let value = UInt32(octet), value <= 255 else {
                throw invalid("'\(octet)' is not a number from 0 to 255")
            }
            address = address << 8 | value
        }
        let range = IPv4Range(address: address, prefixLength: length)
        guard range.address & ~range.mask == 0 else {
            throw invalid("host bits are set; the network is \(IPv4Range(address: address & range.mask, prefixLength: length))")
        }
        self = range
    }

    /// The netmask.
    var mask: UInt32 { prefixLength == 0 ? 0 : UInt32.max << (32 - prefixLength) }

    /// Whether every address of `other` is in this range.
    /// - Parameter other: Another range.
    /// - Returns: True when `other` lies inside.
    public func contains(_ other: IPv4Range) -> Bool {
        other.prefixLength >= prefixLength && other.address & mask == address
    }

    /// `a.b.c.d/n`.
    public var description: String {
        "\(address >> 24).\(address >> 16 & 255).\(address >> 8 & 255).\(address & 255)/\(prefixLength)"
    }
}
