// Sending one registry request: authorization, a fresh 401 challenge, retries with backoff on transient failures.
import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import OCI

/// A request to the registry API, described so it can be sent again.
struct RegistryRequest: Sendable {
    var method: HTTPMethod
    var url: String
    var headers: [(String, String)] = []
    /// Token scopes the request needs.
    var scopes: [String]
    /// Makes the body for each attempt (streams cannot be replayed).
    var body: (@Sendable () throws -> (HTTPClientRequest.Body, Int64))?
    /// What is being done, for errors: `upload of blob sha256:… to labs/debian`.
    var operation: String
}

/// A registry answer with its (small) body read.
struct RegistryResponse: Sendable {
    var status: Int
    var headers: HTTPHeaders
    var body: Data
    var attempts: Int

    /// The `{"errors":[…]}` entries of the body.
    var errors: [RegistryErrorCode] { RegistryClient.parseErrors(body) }
}

extension RegistryClient {
    /// Sends a request, retrying 5xx/429/408 and transport failures per the retry policy when `retrying` is set,
    /// and once after a 401 whose challenge allows new authorization.
    /// - Returns: The final response, whatever its status.
    /// - Throws: ``RegistryError/retriesExhausted(operation:registry:attempts:lastProblem:)`` after transport failures;
    ///   the transport error itself when `retrying` is false; `CancellationError`.
    func send(_ request: RegistryRequest, retrying: Bool = true) async throws -> RegistryResponse {
        var attempt = 0
        var reauthenticated = false
        // Redirects are followed here, not by the HTTP client: each hop decides again whether credentials go along.
        var url = request.url
        var method = request.method
        var keepsBody = true
        var redirects = 0
        while true {
            try Task.checkCancellation()
            attempt += 1
            var httpRequest = HTTPClientRequest(url: url)
            httpRequest.method = method
            httpRequest.headers.add(name: "User-Agent", value: Self.userAgent)
            for (name, value) in request.headers where keepsBody || !["content-type", "content-length"].contains(name.lowercased()) {
                httpRequest.headers.add(name: name, value: value)
            }
            // The registry's credentials go to its own origin only; an upload Location or redirect elsewhere gets none.
            let toRegistry = CredentialScope.isRegistryOrigin(url, registryBaseURL: baseURL)
            var authorization: String?
            if toRegistry { authorization = try await authenticator.authorization(scopes: request.scopes) }
            if let authorization { httpRequest.headers.add(name: "Authorization", value: authorization) }
            var bodyLength: Int64 = 0
            if keepsBody, let makeBody = request.body {
                let (body, length) = try makeBody()
                httpRequest.body = body
                bodyLength = length
            }
            let problem: String
            var retryAfter: Double?
            do {
                // The idle (read) timeout guards stalls; the deadline only bounds pathological slowness (≥ 1 MiB/s).
                let deadline = TimeAmount.seconds(300 + bodyLength / (1 << 20))
                let response = try await http.execute(httpRequest, timeout: deadline, logger: nil)
                let body = try await response.body.collect(upTo: 8 << 20)
                let result = RegistryResponse(
                    status: Int(response.status.code), headers: response.headers, body: Data(body.readableBytesView), attempts: attempt)
                logger.debug("\(method.rawValue) \(Self.redactedPath(url)) → \(result.status)")
                if Self.redirectStatuses.contains(result.status), let location = response.headers.first(name: "Location") {
                    guard redirects < 5 else {
                        throw RegistryError.protocolViolation(operation: request.operation, registry: registry, detail: "more than 5 redirects")
                    }
                    url = try follow(location: location, from: url, operation: request.operation)
                    if result.status == 303, method != .HEAD {
                        method = .GET
                        keepsBody = false
                    }
                    redirects += 1
                    attempt -= 1
                    continue
                }
                if result.status == 401, toRegistry, !reauthenticated,
                    await authenticator.recover(
                        fromChallenge: response.headers.first(name: "WWW-Authenticate"), scopes: request.scopes,
                        rejected: authorization)
                {
                    reauthenticated = true
                    attempt -= 1
                    continue
                }
                guard retrying, RetryPolicy.isRetryable(status: result.status), attempt < options.retry.maxAttempts else {
                    return result
                }
                problem = "HTTP \(result.status) " + (result.errors.first ?? .fallback(status: result.status)).description
                retryAfter = response.headers.first(name: "Retry-After").flatMap { RetryPolicy.parseRetryAfter($0) }
            } catch let error as RegistryError {
                throw error
            } catch {
                if error is CancellationError || Task.isCancelled { throw CancellationError() }
                guard retrying else { throw error }
                guard Self.isTransient(error), attempt < options.retry.maxAttempts else {
                    throw RegistryError.retriesExhausted(
                        operation: request.operation, registry: registry, attempts: attempt, lastProblem: Self.describe(error))
                }
                problem = Self.describe(error)
            }
            let delay = options.retry.delay(afterAttempt: attempt, retryAfter: retryAfter)
            logger.warning(
                "\(request.operation): \(problem); retry \(attempt + 1)/\(options.retry.maxAttempts) in \(String(format: "%.1f", delay)) s")
            try await Task.sleep(for: .seconds(delay))
        }
    }

    /// Turns a non-success response into the error to throw.
    func failure(_ response: RegistryResponse, operation: String) async -> RegistryError {
        if response.status == 401 || response.status == 403 {
            return .unauthorized(
                operation: operation, registry: registry, status: response.status, errors: response.errors,
                credentialSource: authenticator.credential?.source)
        }
        return .requestFailed(
            operation: operation, registry: registry, status: response.status, errors: response.errors, attempts: response.attempts)
    }

    /// `scheme://host/v2/<repository>/<suffix>`.
    func apiURL(_ repository: RepositoryName, _ suffix: String) -> String {
        "\(baseURL)/v2/\(repository.value)/\(suffix)"
    }

    /// Resolves a `Location` header against the registry's base URL; a step from HTTPS to plain HTTP is refused
    /// unless `--insecure`.
    /// - Throws: ``RegistryError/protocolViolation(operation:registry:detail:)`` without a Location,
    ///   ``RegistryError/downgrade(operation:registry:location:)``.
    func resolve(location: String?, operation: String) throws -> String {
        guard let location, !location.isEmpty else {
            throw RegistryError.protocolViolation(operation: operation, registry: registry, detail: "no Location header")
        }
        let resolved: String
        if location.hasPrefix("http://") || location.hasPrefix("https://") {
            resolved = location
        } else if location.hasPrefix("/") {
            resolved = baseURL + location
        } else {
            resolved = baseURL + "/" + location
        }
        if !options.insecure, CredentialScope.isDowngrade(from: baseURL, to: resolved) {
            throw RegistryError.downgrade(operation: operation, registry: registry, location: Self.redactedOrigin(resolved))
        }
        return resolved
    }

    /// HTTP statuses whose `Location` is followed.
    static let redirectStatuses: Set<Int> = [301, 302, 303, 307, 308]

    /// The URL a redirect's `Location` points at, relative to the URL that answered; no HTTPS → HTTP step unless
    /// `--insecure`.
    func follow(location: String, from current: String, operation: String) throws -> String {
        guard let base = URL(string: current), let target = URL(string: location, relativeTo: base)?.absoluteURL,
              let scheme = target.scheme?.lowercased(), scheme == "http" || scheme == "https"
        else {
            throw RegistryError.protocolViolation(operation: operation, registry: registry, detail: "redirect to an unusable Location")
        }
        let next = target.absoluteString
        if !options.insecure, CredentialScope.isDowngrade(from: current, to: next) {
            throw RegistryError.downgrade(operation: operation, registry: registry, location: Self.redactedOrigin(next))
        }
        return next
    }

    /// `scheme://host[:port]/path` of a URL, without its query (signed URLs carry secrets there).
    static func redactedOrigin(_ url: String) -> String {
        guard let components = URLComponents(string: url) else { return "(unparsable URL)" }
        var shown = components
        shown.query = nil
        shown.fragment = nil
        shown.user = nil
        shown.password = nil
        return shown.string ?? "(unparsable URL)"
    }

    /// Appends a query item to a URL that may already have a query (upload locations carry state).
    static func appendQuery(_ url: String, _ item: String) -> String {
        url + (url.contains("?") ? "&" : "?") + item
    }

    /// `repository:NAME:pull,push`.
    static func pushScope(_ repository: RepositoryName) -> String { "repository:\(repository.value):pull,push" }

    /// `repository:NAME:pull`.
    static func pullScope(_ repository: RepositoryName) -> String { "repository:\(repository.value):pull" }

    /// The path of a URL without its query (upload state tokens make logs unreadable).
    static func redactedPath(_ url: String) -> String {
        URLComponents(string: url)?.path ?? url
    }

    /// Parses a distribution error body.
    static func parseErrors(_ body: Data) -> [RegistryErrorCode] {
        struct Body: Decodable { var errors: [RegistryErrorCode]? }
        return (try? JSONDecoder().decode(Body.self, from: body))?.errors ?? []
    }

    /// Whether a transport error is worth retrying: dropped connections, resets, timeouts — not TLS or URL errors.
    static func isTransient(_ error: Error) -> Bool {
        if error is CancellationError { return false }
        if let error = error as? HTTPClientError {
            let permanent: [HTTPClientError] = [
                .invalidURL, .emptyHost, .emptyScheme, .unsupportedScheme("http"), .bodyLengthMismatch, .cancelled,
                .missingSocketPath, .invalidHeaderFieldNames([]), .tlsHandshakeTimeout,
            ]
            return !permanent.contains(error)
        }
        let type = String(reflecting: Swift.type(of: error))
        if type.contains("NIOSSL") || type.contains("BoringSSL") { return false }
        return true
    }

    /// `connection refused (errno 111)`.
    static func errnoDescription(_ code: Int32) -> String {
        String(cString: strerror(code)).lowercased() + " (errno \(code))"
    }

    /// A short human description of a transport error.
    static func describe(_ error: Error) -> String {
        if let error = error as? HTTPClientError {
            switch error {
            case .remoteConnectionClosed: return "connection closed by the registry"
            case .readTimeout: return "no answer within the idle timeout"
            case .connectTimeout: return "connect timeout"
            case .deadlineExceeded: return "request deadline exceeded"
            default: return "\(error)"
            }
        }
        if let error = error as? IOError { return errnoDescription(error.errnoCode) }
        if let error = error as? NIOConnectionError {
            if let first = error.connectionErrors.first {
                if let io = first.error as? IOError { return errnoDescription(io.errnoCode) }
                return "connection failed: \(first.error)"
            }
            return "connection failed: \(error)"
        }
        return "\(error)"
    }
}
