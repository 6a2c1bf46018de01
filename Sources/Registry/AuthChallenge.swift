// Parses `WWW-Authenticate` challenges (RFC 7235): `Basic realm=…` and the bearer-token flow's `Bearer realm=…,service=…,scope=…`.

/// One authentication challenge sent with a 401.
public struct AuthChallenge: Sendable, Equatable {
    /// The authentication scheme.
    public enum Scheme: Sendable, Equatable {
        /// HTTP basic authentication.
        case basic
        /// The distribution token flow: fetch a token from `realm`.
        case bearer
        /// Anything else (not supported).
        case other(String)
    }

    /// The scheme.
    public var scheme: Scheme
    /// Parameters with lower-cased names (`realm`, `service`, `scope`, `error`).
    public var parameters: [String: String]

    /// The token endpoint (bearer) or realm name (basic).
    public var realm: String? { parameters["realm"] }
    /// The `service` to name in token requests.
    public var service: String? { parameters["service"] }
    /// Space-separated scopes the registry asks for, e.g. `repository:labs/debian:pull,push`.
    public var scope: String? { parameters["scope"] }

    /// Creates a challenge from parts.
    /// - Parameters:
    ///   - scheme: The scheme.
    ///   - parameters: Its parameters.
    public init(scheme: Scheme, parameters: [String: String]) {
        self.scheme = scheme
        self.parameters = parameters
    }

    /// Parses the first challenge of a `WWW-Authenticate` header value.
    /// - Parameter header: E.g. `Bearer realm="https://auth.example/token",service="registry.example"`.
    /// - Returns: The challenge, or nil for an empty header.
    public init?(header: String) {
        var rest = Substring(header).drop(while: { $0 == " " })
        let schemeName = rest.prefix(while: { $0 != " " && $0 != "," })
        guard !schemeName.isEmpty else { return nil }
        rest = rest.dropFirst(schemeName.count)
        switch schemeName.lowercased() {
        case "basic": scheme = .basic
        case "bearer": scheme = .bearer
        default: scheme = .other(String(schemeName))
        }
        var parameters: [String: String] = [:]
        while true {
            rest = rest.drop(while: { $0 == " " || $0 == "," })
            let name = rest.prefix(while: { $0 != "=" && $0 != " " && $0 != "," })
            guard !name.isEmpty else { break }
            rest = rest.dropFirst(name.count).drop(while: { $0 == " " })
            guard rest.first == "=" else {
                // A second challenge starts here (`…, Basic realm=…`): keep only the first.
                break
            }
            rest = rest.dropFirst().drop(while: { $0 == " " })
            var value = ""
            if rest.first == "\"" {
                rest = rest.dropFirst()
                var escaped = false
                while let character = rest.first {
                    rest = rest.dropFirst()
                    if escaped {
                        value.append(character)
                        escaped = false
                    } else if character == "\\" {
                        escaped = true
                    } else if character == "\"" {
                        break
                    } else {
                        value.append(character)
                    }
                }
            } else {
                let token = rest.prefix(while: { $0 != "," && $0 != " " })
                value = String(token)
                rest = rest.dropFirst(token.count)
            }
            parameters[name.lowercased()] = value
        }
        self.parameters = parameters
    }
}
