// sha256/sha512 computed while bytes arrive, so a download is verified without reading it twice.
import Crypto
import Foundation
import LabforgeRecipe

/// A running hash of one of the algorithms upstream publishers use (task-local: not Sendable).
struct StreamingDigest {
    private enum State {
        case sha256(SHA256)
        case sha512(SHA512)
    }

    private var state: State

    /// Starts a hash of the same algorithm as `checksum`.
    init(matching checksum: Checksum) {
        switch checksum {
        case .sha256: state = .sha256(SHA256())
        case .sha512: state = .sha512(SHA512())
        }
    }

    /// Adds bytes.
    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        switch state {
        case var .sha256(hash):
            hash.update(bufferPointer: bytes)
            state = .sha256(hash)
        case var .sha512(hash):
            hash.update(bufferPointer: bytes)
            state = .sha512(hash)
        }
    }

    /// Adds the bytes of a file already on disk (a partial download being resumed).
    mutating func update(contentsOf path: String, upTo length: Int64) throws {
        guard length > 0, let handle = FileHandle(forReadingAtPath: path) else { return }
        defer { try? handle.close() }
        var remaining = length
        while remaining > 0 {
            let chunk = try handle.read(upToCount: Int(min(remaining, 4 << 20))) ?? Data()
            if chunk.isEmpty { break }
            chunk.withUnsafeBytes { update($0) }
            remaining -= Int64(chunk.count)
        }
    }

    /// The lowercase hex digest.
    func finalize() -> String {
        switch state {
        case let .sha256(hash): return hash.finalize().map { String(format: "%02x", $0) }.joined()
        case let .sha512(hash): return hash.finalize().map { String(format: "%02x", $0) }.joined()
        }
    }
}

extension Checksum {
    /// The hex digest, lowercased.
    public var hex: String {
        switch self {
        case let .sha256(value), let .sha512(value): return value.lowercased()
        }
    }

    /// `sha256` or `sha512`.
    public var algorithm: String {
        switch self {
        case .sha256: return "sha256"
        case .sha512: return "sha512"
        }
    }

    /// `sha256:<hex>` / `sha512:<hex>`.
    public var tagged: String { "\(algorithm):\(hex)" }

    /// Parses `sha256:<hex>`, `sha512:<hex>` or a bare hex digest (length decides the algorithm).
    /// - Parameter text: The checksum.
    /// - Returns: The checksum.
    /// - Throws: ``BasesError/malformedChecksum(value:)``.
    public static func parse(_ text: String) throws -> Checksum {
        var value = text.lowercased()
        var algorithm: String?
        if let colon = value.firstIndex(of: ":") {
            algorithm = String(value[..<colon])
            value = String(value[value.index(after: colon)...])
        }
        guard value.allSatisfy(\.isHexDigit) else { throw BasesError.malformedChecksum(value: text) }
        switch (algorithm, value.count) {
        case ("sha256", 64), (nil, 64): return .sha256(value)
        case ("sha512", 128), (nil, 128): return .sha512(value)
        default: throw BasesError.malformedChecksum(value: text)
        }
    }

    /// Whether the digest has the right length and only hex digits.
    public var isWellFormed: Bool { (try? Checksum.parse(tagged)) != nil }
}
