// The registry part of an image reference, `host[:port]`, parsed once: its grammar and whether it is this machine.
import Foundation
import Naming

/// A registry's `host[:port]` (`quay.io`, `127.0.0.1:5000`, `[::1]:5000`, `localhost:5000`), parsed.
public struct RegistryHost: Sendable, Hashable, CustomStringConvertible {
    /// The host: a DNS name, an IPv4 address, or an IPv6 address without brackets.
    public let host: String
    /// The port, when given.
    public let port: Int?

    /// Parses `host[:port]`.
    /// - Parameter text: E.g. `registry.example.org:5000` or `[::1]:5000`.
    /// - Throws: ``OCIError/invalidRegistry(_:reason:)`` naming what is wrong.
    public init(parsing text: String) throws {
        if let bad = text.unicodeScalars.first(where: { MessageText.isControl($0) || $0 == " " || $0 == "/" || $0 == "@" }) {
            throw OCIError.invalidRegistry(text, reason: "it contains \(MessageText.describe(bad))")
        }
        var hostPart = Substring(text)
        var portPart: Substring?
        if text.hasPrefix("[") {
            guard let end = text.firstIndex(of: "]") else { throw OCIError.invalidRegistry(text, reason: "'[' without ']'") }
            hostPart = text[text.index(after: text.startIndex)..<end]
            let rest = text[text.index(after: end)...]
            if !rest.isEmpty {
                guard rest.first == ":" else { throw OCIError.invalidRegistry(text, reason: "text after ']' is not ':PORT'") }
                portPart = rest.dropFirst()
            }
            guard Self.ipv6Bytes(String(hostPart)) != nil else {
                throw OCIError.invalidRegistry(text, reason: "\(hostPart) is not an IPv6 address")
            }
        } else if let colon = text.firstIndex(of: ":") {
            hostPart = text[..<colon]
            portPart = text[text.index(after: colon)...]
        }
        if let portPart {
            guard !portPart.isEmpty, portPart.count <= 5, portPart.allSatisfy({ $0.isASCII && $0.isNumber }),
                  let number = Int(portPart), (1...65535).contains(number)
            else { throw OCIError.invalidRegistry(text, reason: "port '\(portPart)' is not 1–65535") }
            port = number
        } else {
            port = nil
        }
        if !text.hasPrefix("[") {
            if let reason = Self.hostNameProblem(hostPart) { throw OCIError.invalidRegistry(text, reason: reason) }
        }
        host = String(hostPart)
    }

    /// `host[:port]`, with brackets around an IPv6 address.
    public var description: String {
        let shown = host.contains(":") ? "[\(host)]" : host
        return port.map { "\(shown):\($0)" } ?? shown
    }

    /// Whether the host is this machine: `localhost`, an IPv4 address in 127.0.0.0/8, or `::1` (also as
    /// `::ffff:127.x.y.z`). Decided by parsing the address, never by a name prefix: `127.evil.example` is a DNS
    /// name like any other.
    public var isLoopback: Bool { Self.isLoopback(host: host) }

    /// Whether a bare host (no port, no brackets) is this machine; see ``isLoopback``.
    /// - Parameter host: A DNS name or an IP address, e.g. the host of a token realm URL.
    /// - Returns: True for `localhost`, 127.0.0.0/8 and `::1`.
    public static func isLoopback(host: String) -> Bool {
        var name = host
        if name.hasPrefix("["), name.hasSuffix("]") { name = String(name.dropFirst().dropLast()) }
        if name.lowercased() == "localhost" { return true }
        if let bytes = ipv4Bytes(name) { return bytes[0] == 127 }
        if let bytes = ipv6Bytes(name) {
            let loopback: [UInt8] = Array(repeating: 0, count: 15) + [1]
            let mappedPrefix: [UInt8] = Array(repeating: 0, count: 10) + [0xff, 0xff]
            return bytes == loopback || (Array(bytes.prefix(12)) == mappedPrefix && bytes[12] == 127)
        }
        return false
    }

    /// The four bytes of a dotted-quad IPv4 address (`127.0.0.1`; not `127.1` or `0x7f.0.0.1`).
    static func ipv4Bytes(_ text: String) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var bytes: [UInt8] = []
        for part in parts {
            guard (1...3).contains(part.count), part.allSatisfy({ $0.isASCII && $0.isNumber }),
                  let value = UInt8(part), part.count == 1 || part.first != "0"
            else { return nil }
            bytes.append(value)
        }
        return bytes
    }

    /// The sixteen bytes of an IPv6 address (`inet_pton`).
    static func ipv6Bytes(_ text: String) -> [UInt8]? {
        var address = in6_addr()
        guard text.contains(":"), inet_pton(AF_INET6, text, &address) == 1 else { return nil }
        return withUnsafeBytes(of: &address) { Array($0) }
    }

    /// Why `text` is not a host name or IPv4 address: DNS labels of letters, digits and `-` joined by dots.
    static func hostNameProblem(_ text: Substring) -> String? {
        guard !text.isEmpty else { return "the host is empty" }
        guard text.count <= 253 else { return "the host has more than 253 characters" }
        for label in text.split(separator: ".", omittingEmptySubsequences: false) {
            guard !label.isEmpty else { return "the host '\(text)' has an empty label (two dots, or a leading or trailing dot)" }
            guard label.count <= 63 else { return "a label of '\(text)' is longer than 63 characters" }
            if let bad = label.unicodeScalars.first(where: { !(("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "-") }) {
                return "the host contains \(MessageText.describe(bad))"
            }
            guard label.first != "-", label.last != "-" else { return "a label of '\(text)' starts or ends with '-'" }
        }
        return nil
    }
}
