// Authorization headers for registry requests: basic, or bearer tokens fetched per scope and reused until they expire.
import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// Holds the registry's challenge and cached bearer tokens; shared by all requests of one client.
actor Authenticator {
    private struct Token {
        var value: String
        var expires: Date
    }

    let registry: String
    let credential: ResolvedCredential?
    private let http: HTTPClient
    private let logger: Logger
    private let insecure: Bool
    private var challenge: AuthChallenge?
    /// `scheme://host[:port]` the registry answered on (where its own credentials may go).
    private var registryBaseURL = ""
    private var tokens: [String: Token] = [:]
    private var pending: [String: Task<Token, Error>] = [:]
    /// Token endpoint requests made (tests check reuse).
    private(set) var tokenRequests = 0

    init(registry: String, credential: ResolvedCredential?, http: HTTPClient, logger: Logger, insecure: Bool = false) {
        self.registry = registry
        self.credential = credential
        self.http = http
        self.logger = logger
        self.insecure = insecure
    }

    /// Records the registry's origin and the challenge of its `/v2/` answer.
    /// - Parameters:
    ///   - challenge: The `WWW-Authenticate` challenge, if any.
    ///   - registryBaseURL: `scheme://host[:port]` that answered.
    func setChallenge(_ challenge: AuthChallenge?, registryBaseURL: String) {
        self.challenge = challenge
        self.registryBaseURL = registryBaseURL
    }

    /// The `Authorization` value for a request needing `scopes`, or nil for anonymous.
    /// - Parameter scopes: E.g. `["repository:labs/debian:pull,push"]`.
    /// - Throws: ``RegistryError`` when the token endpoint refuses.
    func authorization(scopes: [String]) async throws -> String? {
        if case .registryToken(let token)? = credential?.credential { return "Bearer \(token)" }
        guard let challenge else { return nil }
        switch challenge.scheme {
        case .basic:
            guard case .basic(let username, let password)? = credential?.credential else { return nil }
            return "Basic " + Data("\(username):\(password)".utf8).base64EncodedString()
        case .bearer:
            return "Bearer " + (try await token(for: scopes, challenge: challenge)).value
        case .other:
            return nil
        }
    }

    /// Reacts to a 401: learns the new challenge and drops the cached token so the next attempt fetches a fresh one.
    /// - Parameters:
    ///   - header: The response's `WWW-Authenticate`.
    ///   - scopes: The scopes the request needed.
    ///   - rejected: The `Authorization` value the registry refused (a token another request already replaced stays).
    /// - Returns: Whether retrying with new authorization can help.
    func recover(fromChallenge header: String?, scopes: [String], rejected: String?) -> Bool {
        guard let header, let parsed = AuthChallenge(header: header) else { return false }
        switch parsed.scheme {
        case .bearer:
            if case .registryToken? = credential?.credential { return false }
            challenge = parsed
            let key = Self.key(scopes)
            if let cached = tokens[key], rejected == nil || rejected == "Bearer \(cached.value)" { tokens[key] = nil }
            return true
        case .basic:
            let changed = challenge?.scheme != .basic
            challenge = parsed
            guard case .basic? = credential?.credential else { return false }
            return changed
        case .other:
            return false
        }
    }

    private static func key(_ scopes: [String]) -> String { Set(scopes).sorted().joined(separator: " ") }

    private func token(for scopes: [String], challenge: AuthChallenge) async throws -> Token {
        let key = Self.key(scopes)
        if let token = tokens[key], token.expires > Date().addingTimeInterval(10) { return token }
        if let task = pending[key] { return try await task.value }
        let task = Task { try await self.fetchToken(scopes: Set(scopes).sorted(), challenge: challenge) }
        pending[key] = task
        defer { pending[key] = nil }
        let token = try await task.value
        tokens[key] = token
        return token
    }

    private func fetchToken(scopes: [String], challenge: AuthChallenge) async throws -> Token {
        tokenRequests += 1
        guard let realm = challenge.realm, var components = URLComponents(string: realm) else {
            throw RegistryError.protocolViolation(
                operation: "authentication", registry: registry, detail: "bearer challenge without a realm URL")
        }
        let operation = "token request to \(components.host ?? realm) for \(scopes.joined(separator: " "))"
        // The realm is usually another host (the token flow wants that); the user's secret goes there only over HTTPS,
        // or plain HTTP on this machine / with --insecure, never from an HTTPS registry to plain HTTP (CredentialScope).
        let sendsSecret: Bool
        switch credential?.credential {
        case .basic?, .identityToken?: sendsSecret = true
        default: sendsSecret = false
        }
        if sendsSecret, let problem = CredentialScope.realmProblem(realm, registryBaseURL: registryBaseURL, insecure: insecure) {
            throw RegistryError.credentialsWithheld(registry: registry, destination: "token realm \(realm)", reason: problem)
        }
        var request: HTTPClientRequest
        if case .identityToken(_, let refreshToken)? = credential?.credential {
            // OAuth2 refresh-token grant (docker's identity tokens).
            request = HTTPClientRequest(url: realm)
            request.method = .POST
            var form = URLComponents()
            form.queryItems = [
                URLQueryItem(name: "grant_type", value: "refresh_token"),
                URLQueryItem(name: "refresh_token", value: refreshToken),
                URLQueryItem(name: "client_id", value: "labforge"),
                URLQueryItem(name: "scope", value: scopes.joined(separator: " ")),
            ] + (challenge.service.map { [URLQueryItem(name: "service", value: $0)] } ?? [])
            let body = Data((form.percentEncodedQuery ?? "").replacingOccurrences(of: "+", with: "%2B").utf8)
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            request.body = .bytes(ByteBuffer(bytes: body))
        } else {
            var items = components.queryItems ?? []
            if let service = challenge.service { items.append(URLQueryItem(name: "service", value: service)) }
            items += scopes.map { URLQueryItem(name: "scope", value: $0) }
            if case .basic(let username, _)? = credential?.credential {
                items.append(URLQueryItem(name: "account", value: username))
            }
            components.queryItems = items
            request = HTTPClientRequest(url: components.url?.absoluteString ?? realm)
            request.method = .GET
            if case .basic(let username, let password)? = credential?.credential {
                request.headers.add(name: "Authorization", value: "Basic " + Data("\(username):\(password)".utf8).base64EncodedString())
            }
        }
        request.headers.add(name: "User-Agent", value: RegistryClient.userAgent)
        let response: HTTPClientResponse
        let body: ByteBuffer
        do {
            response = try await http.execute(request, timeout: .seconds(60))
            body = try await response.body.collect(upTo: 1 << 20)
        } catch {
            throw RegistryError.unreachable(registry: registry, reason: "\(operation): \(RegistryClient.describe(error))")
        }
        let status = Int(response.status.code)
        guard status == 200 else {
            let errors = RegistryClient.parseErrors(Data(body.readableBytesView))
            if status == 401 || status == 403 {
                throw RegistryError.unauthorized(
                    operation: operation, registry: registry, status: status, errors: errors, credentialSource: credential?.source)
            }
            throw RegistryError.requestFailed(operation: operation, registry: registry, status: status, errors: errors, attempts: 1)
        }
        struct Answer: Decodable {
            var token: String?
            var access_token: String?
            var expires_in: Double?
            var issued_at: String?
        }
        guard let answer = try? JSONDecoder().decode(Answer.self, from: Data(body.readableBytesView)),
            let value = answer.token ?? answer.access_token, !value.isEmpty
        else {
            throw RegistryError.protocolViolation(operation: operation, registry: registry, detail: "token answer has no token")
        }
        let issued = answer.issued_at.flatMap { try? Date($0, strategy: .iso8601) } ?? Date()
        // The token spec's default lifetime is 60 s; never trust an issue time in the future.
        let expires = min(issued, Date()).addingTimeInterval(max(answer.expires_in ?? 60, 60))
        logger.debug("bearer token for \(scopes.joined(separator: " ")) valid until \(expires)")
        return Token(value: value, expires: expires)
    }
}
