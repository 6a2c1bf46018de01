// An ECDSA P-256 signing key from PEM (PKCS#8 or SEC1, as openssl writes them), from a file or the environment
// (taken out of it at start: SigningKey+Environment.swift).
import Crypto
import Foundation

/// A private key that signs image digests. Its text is never logged or put in an error message.
public struct SigningKey: Sendable {
    /// Where the key came from (a path or `$LABFORGE_SIGN_KEY`), for messages.
    public let source: String
    // The scalar, not the key object: swift-crypto's key type is not Sendable.
    private let raw: Data
    private let publicKey: P256.Signing.PublicKey.Representation

    /// The environment variable that may hold the PEM text.
    public static let environmentVariable = "LABFORGE_SIGN_KEY"

    /// Parses PEM text: `-----BEGIN PRIVATE KEY-----` (PKCS#8) or `-----BEGIN EC PRIVATE KEY-----` (SEC1, possibly
    /// after an `EC PARAMETERS` block as `openssl ecparam -genkey` writes it).
    /// - Parameters:
    ///   - pem: The PEM text.
    ///   - source: Named in errors.
    /// - Throws: ``SigningError/unsupportedKey(source:reason:)``.
    public init(pem: String, source: String) throws {
        self.source = source
        let block = Self.privateKeyBlock(in: pem)
        guard let block else { throw SigningError.unsupportedKey(source: source, reason: "no PRIVATE KEY or EC PRIVATE KEY block") }
        do {
            let key = try P256.Signing.PrivateKey(pemRepresentation: block)
            raw = key.rawRepresentation
            publicKey = .init(pem: key.publicKey.pemRepresentation, der: key.publicKey.derRepresentation)
        } catch {
            throw SigningError.unsupportedKey(source: source, reason: "not a P-256 key, or an encrypted one")
        }
    }

    /// Loads the key from `path`, else from ``environmentVariable``; nil when neither is given.
    /// - Parameters:
    ///   - path: A PEM file, or nil. It must be yours and accessible to you alone (mode 600 or 400), as ssh requires
    ///     of a private key; a pipe (`<(pass show key)`) is read the same way.
    ///   - environment: Where to find ``environmentVariable``; nil for the value ``takeFromEnvironment()`` took at
    ///     process start (or, when it was never called, the process environment).
    /// - Returns: The key, or nil.
    /// - Throws: ``SigningError/keyFileTooOpen(path:mode:)``, ``SigningError/keyFileNotOwned(path:owner:user:)``,
    ///   ``SigningError/keyUnreadable(source:reason:)``, ``SigningError/unsupportedKey(source:reason:)``.
    public static func load(path: String?, environment: [String: String]? = nil) throws -> SigningKey? {
        if let path {
            return try SigningKey(pem: try SigningKeyFile.read(path), source: path)
        }
        let text = if let environment { environment[environmentVariable] } else { environmentText }
        if let text, !text.isEmpty {
            return try SigningKey(pem: text, source: "$\(environmentVariable)")
        }
        return nil
    }

    /// The public key as PEM (`-----BEGIN PUBLIC KEY-----`), what `cosign verify --key` takes.
    public var publicKeyPEM: String { publicKey.pem + "\n" }

    /// `sha256:<hex>` of the public key's DER (SubjectPublicKeyInfo): the key's fingerprint in the catalog.
    public var fingerprint: String {
        "sha256:" + SHA256.hash(data: publicKey.der).map { String(format: "%02x", $0) }.joined()
    }

    /// ECDSA P-256 with SHA-256 over `data`, DER-encoded (what cosign puts base64-encoded in its annotation).
    /// - Parameter data: The bytes to sign.
    /// - Returns: The DER signature.
    /// - Throws: `CryptoKitError` (not expected).
    public func sign(_ data: Data) throws -> Data {
        try P256.Signing.PrivateKey(rawRepresentation: raw).signature(for: data).derRepresentation
    }

    /// The one private-key PEM block of `pem`, skipping `EC PARAMETERS` and anything else.
    static func privateKeyBlock(in pem: String) -> String? {
        for label in ["PRIVATE KEY", "EC PRIVATE KEY"] {
            let begin = "-----BEGIN \(label)-----"
            let end = "-----END \(label)-----"
            if let start = pem.range(of: begin), let stop = pem.range(of: end, range: start.upperBound..<pem.endIndex) {
                return String(pem[start.lowerBound..<stop.upperBound])
            }
        }
        return nil
    }
}

extension SigningKey: CustomStringConvertible {
    /// The source and fingerprint only: a key printed by accident reveals nothing.
    public var description: String { "signing key from \(source) (\(fingerprint))" }
}

extension P256.Signing.PublicKey {
    /// The public key's encodings, kept as values.
    struct Representation: Sendable {
        var pem: String
        var der: Data
    }
}
