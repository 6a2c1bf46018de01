// Content digests (`sha256:<64 hex>`), per the OCI image spec's descriptor rules.
import Crypto
import Foundation

/// A content digest. Only sha256 is written; sha512 digests are accepted when reading.
public struct Digest: Sendable, Hashable, Codable, CustomStringConvertible, Comparable {
    /// `sha256` or `sha512`.
    public let algorithm: String
    /// Lower-case hex encoding.
    public let hex: String

    /// Parses `algorithm:hex`.
    /// - Parameter string: E.g. `sha256:e3b0c442…`.
    /// - Throws: ``OCIError/invalidDigest(_:)`` when the form or length is wrong.
    public init(parsing string: String) throws {
        let parts = string.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { throw OCIError.invalidDigest(string) }
        let expectedLength = ["sha256": 64, "sha512": 128][parts[0]]
        guard let expectedLength, parts[1].count == expectedLength,
            parts[1].allSatisfy({ $0.isHexDigit && !$0.isUppercase })
        else { throw OCIError.invalidDigest(string) }
        algorithm = parts[0]
        hex = parts[1]
    }

    /// Wraps a finished SHA-256.
    /// - Parameter hash: The digest value.
    public init(_ hash: SHA256.Digest) {
        algorithm = "sha256"
        hex = hash.map { String(format: "%02x", $0) }.joined()
    }

    /// The sha256 digest of `data`.
    /// - Parameter data: The exact bytes (JSON is hashed as written).
    /// - Returns: Its digest.
    public static func sha256(of data: Data) -> Digest {
        Digest(SHA256.hash(data: data))
    }

    public var description: String { "\(algorithm):\(hex)" }

    public static func < (lhs: Digest, rhs: Digest) -> Bool { lhs.description < rhs.description }

    public init(from decoder: Decoder) throws {
        try self.init(parsing: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
