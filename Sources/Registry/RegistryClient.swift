// A client of one registry (OCI distribution spec): connection, scheme, authentication and shared state.
import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import OCI

/// Talks to one registry. Create it with ``withConnection(to:credential:options:logger:_:)``, which closes it.
public final class RegistryClient: Sendable {
    /// Tuning of a client.
    public struct Options: Sendable {
        /// Allow plain HTTP and unverified TLS (loopback registries may use plain HTTP regardless).
        public var insecure: Bool
        /// Blobs up to this size go in one `PUT`; larger ones in `PATCH` chunks of this size.
        public var chunkSize: Int64
        /// Retry budget for transient failures.
        public var retry: RetryPolicy
        /// Seconds without progress before a request is abandoned (and retried).
        public var idleTimeout: Int64

        /// Creates options.
        /// - Parameters:
        ///   - insecure: Allow plain HTTP and unverified TLS.
        ///   - chunkSize: Upload chunk size in bytes (at least 1 MiB… unless testing).
        ///   - retry: Retry budget.
        ///   - idleTimeout: Seconds without progress before a request is abandoned.
        public init(insecure: Bool = false, chunkSize: Int64 = 64 << 20, retry: RetryPolicy = RetryPolicy(), idleTimeout: Int64 = 60) {
            self.insecure = insecure
            self.chunkSize = max(chunkSize, 1)
            self.retry = retry
            self.idleTimeout = idleTimeout
        }
    }

    /// The `User-Agent` sent with every request.
    static let userAgent = "labforge/0.1"

    /// The registry as named in references (`127.0.0.1:5000`, `quay.io`, `docker.io`).
    public let registry: String
    /// `scheme://host[:port]` requests go to.
    public let baseURL: String
    /// The options in use.
    public let options: Options
    let http: HTTPClient
    let authenticator: Authenticator
    let ledger = BlobLedger()
    let logger: Logger

    private init(registry: String, baseURL: String, options: Options, http: HTTPClient, authenticator: Authenticator, logger: Logger) {
        self.registry = registry
        self.baseURL = baseURL
        self.options = options
        self.http = http
        self.authenticator = authenticator
        self.logger = logger
    }

    /// Connects to a registry, runs `body`, and closes the connection pool whatever happens.
    /// - Parameters:
    ///   - registry: `host[:port]`; `docker.io` means Docker Hub.
    ///   - credential: The credential to use, or nil for anonymous.
    ///   - options: Tuning.
    ///   - logger: Where requests and retries are logged (never with credentials).
    ///   - body: Work with the client.
    /// - Returns: What `body` returns.
    /// - Throws: ``RegistryError`` when the registry cannot be reached; whatever `body` throws.
    public static func withConnection<Value: Sendable>(
        to registry: String, credential: ResolvedCredential?, options: Options = Options(),
        logger: Logger = Logger(label: "labforge.registry"),
        _ body: (RegistryClient) async throws -> Value
    ) async throws -> Value {
        var configuration = HTTPClient.Configuration(
            certificateVerification: options.insecure ? .none : .fullVerification,
            timeout: .init(connect: .seconds(15), read: .seconds(options.idleTimeout))
        )
        configuration.decompression = .disabled
        // Redirects are followed by `send`, which decides per hop whether credentials go along (CredentialScope).
        configuration.redirectConfiguration = .disallow
        let http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        do {
            let host = registry == "docker.io" ? "registry-1.docker.io" : registry
            let authenticator = Authenticator(registry: registry, credential: credential, http: http, logger: logger, insecure: options.insecure)
            let (baseURL, challenge) = try await probe(
                host: host, registry: registry, http: http, options: options, logger: logger)
            await authenticator.setChallenge(challenge, registryBaseURL: baseURL)
            let client = RegistryClient(
                registry: registry, baseURL: baseURL, options: options, http: http, authenticator: authenticator, logger: logger)
            let result = try await body(client)
            try? await http.shutdown()
            return result
        } catch {
            try? await http.shutdown()
            throw error
        }
    }

    /// Whether a registry `host[:port]` is this machine (plain HTTP allowed without `--insecure`, like docker and
    /// podman do): the address is parsed (``RegistryHost/isLoopback``), so `127.evil.example` is not loopback.
    static func isLoopback(_ host: String) -> Bool {
        (try? RegistryHost(parsing: host))?.isLoopback ?? false
    }

    /// Finds the scheme that answers `GET /v2/` and the authentication challenge, if any.
    private static func probe(
        host: String, registry: String, http: HTTPClient, options: Options, logger: Logger
    ) async throws -> (String, AuthChallenge?) {
        // Loopback registries usually speak plain HTTP, and a plain-HTTP server given a TLS hello waits for a request
        // line that never comes: ask them in HTTP first. Others get HTTPS first.
        let schemes = isLoopback(host) ? ["http", "https"] : options.insecure ? ["https", "http"] : ["https"]
        var attempt = 0
        while true {
            attempt += 1
            var problems: [String] = []
            var lastError: Error?
            for scheme in schemes {
                var request = HTTPClientRequest(url: "\(scheme)://\(host)/v2/")
                request.headers.add(name: "User-Agent", value: userAgent)
                do {
                    let response = try await http.execute(request, timeout: .seconds(30))
                    _ = try await response.body.collect(upTo: 1 << 20)
                    let status = Int(response.status.code)
                    if RetryPolicy.isRetryable(status: status), attempt < options.retry.maxAttempts {
                        problems.append("\(scheme): HTTP \(status)")
                        lastError = RegistryError.unreachable(registry: registry, reason: "HTTP \(status)")
                        break
                    }
                    switch status {
                    case 200..<300:
                        return ("\(scheme)://\(host)", nil)
                    case 401:
                        let challenge = response.headers.first(name: "WWW-Authenticate").flatMap(AuthChallenge.init(header:))
                        return ("\(scheme)://\(host)", challenge)
                    default:
                        if scheme != schemes.last {
                            // E.g. a TLS server answering 400 to plain HTTP: try the next scheme.
                            problems.append("\(scheme): HTTP \(status)")
                            continue
                        }
                        throw RegistryError.requestFailed(
                            operation: "GET \(scheme)://\(host)/v2/ (API version check)", registry: registry, status: status,
                            errors: [RegistryErrorCode(code: "HTTP_\(status)", message: "not an OCI distribution registry?")],
                            attempts: attempt)
                    }
                } catch let error as RegistryError {
                    throw error
                } catch {
                    if error is CancellationError || Task.isCancelled { throw CancellationError() }
                    problems.append("\(scheme): \(describe(error))")
                    lastError = error
                }
            }
            let reason = problems.joined(separator: "; ")
            let transient = lastError.map { isTransient($0) } ?? true
            guard transient, attempt < options.retry.maxAttempts else {
                let tlsTrouble = ["SSL", "TLS", "handshake", "certificate"].contains { reason.contains($0) }
                let hint = schemes.count == 1 && tlsTrouble ? " (a registry without TLS or with a self-signed certificate needs --insecure)" : ""
                throw RegistryError.unreachable(registry: registry, reason: reason + hint)
            }
            let delay = options.retry.delay(afterAttempt: attempt)
            logger.warning("registry \(registry) not answering (\(reason)); retry \(attempt + 1)/\(options.retry.maxAttempts) in \(String(format: "%.1f", delay)) s")
            try await Task.sleep(for: .seconds(delay))
        }
    }

    /// Token endpoint requests made so far (for tests of token reuse).
    public var tokenRequestCount: Int {
        get async { await authenticator.tokenRequests }
    }
}

/// Where each blob is known to exist on the registry during this run, for automatic cross-repository mounts.
actor BlobLedger {
    private var locations: [Digest: [RepositoryName]] = [:]

    /// Records that a repository holds a blob.
    func record(_ digest: Digest, in repository: RepositoryName) {
        if !(locations[digest]?.contains(repository) ?? false) { locations[digest, default: []].append(repository) }
    }

    /// Repositories known to hold a blob.
    func repositories(holding digest: Digest) -> [RepositoryName] {
        locations[digest] ?? []
    }
}
