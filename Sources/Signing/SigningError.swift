// What can go wrong loading a signing key or signing an image.

/// Errors of the Signing module; each names the key source or the image and what to do. Never contains key material.
public enum SigningError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The key file could not be read.
    case keyUnreadable(source: String, reason: String)
    /// The key file may be read by its group or by others (`mode` holds its permission bits), as ssh refuses.
    case keyFileTooOpen(path: String, mode: UInt32)
    /// The key file belongs to another user, who could replace the key labforge signs with.
    case keyFileNotOwned(path: String, owner: UInt32, user: UInt32)
    /// The PEM text holds no EC P-256 private key labforge understands.
    case unsupportedKey(source: String, reason: String)
    /// A predicate to attest is not a JSON object.
    case invalidPredicate(predicateType: String, reason: String)

    public var description: String {
        switch self {
        case .keyUnreadable(let source, let reason):
            return "cannot read the signing key from \(source): \(reason)"
        case .keyFileTooOpen(let path, let mode):
            let octal = String(mode & 0o7777, radix: 8)
            return "permissions \(String(repeating: "0", count: max(0, 4 - octal.count)) + octal) for \(path) are too open: "
                + "a signing key must be accessible to its owner alone; chmod 600 \(path)"
        case .keyFileNotOwned(let path, let owner, let user):
            return "the signing key \(path) is owned by uid \(owner), not by you (uid \(user)): its owner could replace the key "
                + "labforge signs with; copy it to a file of your own with mode 600, or chown it to yourself"
        case .unsupportedKey(let source, let reason):
            return "the signing key from \(source) is not an EC P-256 private key in PEM (\(reason)); make one with "
                + "`openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out k.pem` or `openssl ecparam -name prime256v1 -genkey -noout -out k.pem`"
        case .invalidPredicate(let type, let reason):
            return "cannot attest the \(type) predicate: \(reason); an attestation's predicate must be a JSON object"
        }
    }
}
