// Errors of the distribution client: each names the registry, the operation and the registry's error code.
import OCI

/// One entry of a registry's `{"errors":[{"code":…,"message":…}]}` body (distribution spec, error codes).
public struct RegistryErrorCode: Sendable, Equatable, Codable, CustomStringConvertible {
    /// `DIGEST_INVALID`, `BLOB_UNKNOWN`, `UNAUTHORIZED`, `DENIED`, `NAME_UNKNOWN`, …
    public var code: String
    /// The registry's message, if any.
    public var message: String?

    /// Creates an error code entry.
    /// - Parameters:
    ///   - code: The code.
    ///   - message: The registry's message.
    public init(code: String, message: String? = nil) {
        self.code = code
        self.message = message
    }

    public var description: String {
        guard let message, !message.isEmpty else { return code }
        return "\(code) (\(message))"
    }

    /// The code a registry means by a bare status without a body.
    /// - Parameter status: The HTTP status.
    /// - Returns: A synthetic code.
    static func fallback(status: Int) -> RegistryErrorCode {
        switch status {
        case 401: return RegistryErrorCode(code: "UNAUTHORIZED")
        case 403: return RegistryErrorCode(code: "DENIED")
        case 404: return RegistryErrorCode(code: "NOT_FOUND")
        case 416: return RegistryErrorCode(code: "RANGE_INVALID")
        case 429: return RegistryErrorCode(code: "TOOMANYREQUESTS")
        default: return RegistryErrorCode(code: "HTTP_\(status)")
        }
    }
}

/// A failed registry interaction, in one line naming the registry, what was being done and why it failed.
public enum RegistryError: Error, CustomStringConvertible, Sendable {
    /// No connection could be made (DNS, refused, timeout, TLS).
    case unreachable(registry: String, reason: String)
    /// The registry answered with an error status.
    case requestFailed(operation: String, registry: String, status: Int, errors: [RegistryErrorCode], attempts: Int)
    /// Credentials were missing or rejected (401/403).
    case unauthorized(operation: String, registry: String, status: Int, errors: [RegistryErrorCode], credentialSource: String?)
    /// Transient failures (5xx, 429, dropped connections, timeouts) lasted longer than the retry budget.
    case retriesExhausted(operation: String, registry: String, attempts: Int, lastProblem: String)
    /// The registry's `Docker-Content-Digest` differs from the digest of the bytes sent.
    case digestMismatch(operation: String, registry: String, expected: Digest, received: String)
    /// The registry broke the protocol (missing `Location`, unparsable `Range`, …).
    case protocolViolation(operation: String, registry: String, detail: String)
    /// A credential helper (`docker-credential-NAME`) failed.
    case credentialHelper(helper: String, reason: String)
    /// A docker `config.json` / containers `auth.json` could not be read.
    case credentialsFile(path: String, reason: String)
    /// A local blob file does not match its descriptor.
    case localBlob(path: String, reason: String)
    /// The layout holds something this client does not push.
    case unsupportedManifest(mediaType: String, layout: String)
    /// Credentials were not sent where the registry asked: a token realm over plain HTTP, for example.
    case credentialsWithheld(registry: String, destination: String, reason: String)
    /// The registry sent a request from HTTPS to plain HTTP (an upload `Location` or a redirect).
    case downgrade(operation: String, registry: String, location: String)

    /// The registry's first error code, or nil.
    public var code: String? {
        switch self {
        case .requestFailed(_, _, let status, let errors, _):
            return (errors.first ?? .fallback(status: status)).code
        case .unauthorized(_, _, let status, let errors, _):
            return (errors.first ?? .fallback(status: status)).code
        case .digestMismatch: return "DIGEST_INVALID"
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .unreachable(let registry, let reason):
            return "cannot reach registry \(registry): \(reason)"
        case .requestFailed(let operation, let registry, let status, let errors, let attempts):
            let codes = (errors.isEmpty ? [.fallback(status: status)] : errors).map(\.description).joined(separator: "; ")
            let tries = attempts > 1 ? " after \(attempts) attempts" : ""
            return "\(operation) on registry \(registry) failed\(tries): HTTP \(status) \(codes)"
        case .unauthorized(let operation, let registry, let status, let errors, let source):
            let codes = (errors.isEmpty ? [.fallback(status: status)] : errors).map(\.description).joined(separator: "; ")
            let hint: String
            if let source {
                hint = "the credentials from \(source) were not accepted; check them (docker login / podman login)"
            } else {
                hint = "no credentials found for \(registry); run `docker login \(registry)` or pass --username U --password-stdin"
            }
            return "\(operation) on registry \(registry) failed: HTTP \(status) \(codes): \(hint)"
        case .retriesExhausted(let operation, let registry, let attempts, let lastProblem):
            return "\(operation) on registry \(registry) failed after \(attempts) attempts: \(lastProblem)"
        case .digestMismatch(let operation, let registry, let expected, let received):
            return "\(operation) on registry \(registry): DIGEST_INVALID: the registry reports digest \(received), we sent \(expected)"
        case .protocolViolation(let operation, let registry, let detail):
            return "\(operation) on registry \(registry): unexpected answer: \(detail)"
        case .credentialHelper(let helper, let reason):
            return "credential helper \(helper) failed: \(reason)"
        case .credentialsFile(let path, let reason):
            return "\(path): cannot read registry credentials: \(reason)"
        case .localBlob(let path, let reason):
            return "\(path): \(reason); package the layout again"
        case .credentialsWithheld(let registry, let destination, let reason):
            return "registry \(registry) asked for the credentials to be sent to \(destination), which labforge refuses: \(reason); "
                + "the registry's token service must use HTTPS"
        case .downgrade(let operation, let registry, let location):
            return "\(operation) on registry \(registry): the registry sent the request on to \(location), plain HTTP after HTTPS; "
                + "refusing (fix the registry's URL settings, or pass --insecure for a trusted network)"
        case .unsupportedManifest(let mediaType, let layout):
            return "\(layout): the image is a \(mediaType); labforge pushes single-image manifests (OCI or Docker schema 2)"
        }
    }
}
