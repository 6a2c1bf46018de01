// Where registry credentials may go: the registry's own origin, a token realm over HTTPS (or on this machine),
// never over a downgrade from HTTPS to plain HTTP.
import Foundation
import OCI

/// The rules that keep credentials with the registry they belong to.
///
/// - The registry's `Authorization` (basic credentials, its bearer token, a registry token) goes only to the
///   registry's own origin (scheme, host and port of the URL `/v2/` answered on). An upload `Location` or a
///   redirect to any other origin (a storage bucket, another port) is sent without it.
/// - The user's basic credentials or refresh token go to a bearer challenge's token realm — commonly another host
///   (`auth.docker.io` for Docker Hub), as the distribution token flow requires — only over HTTPS, or over plain
///   HTTP when the realm is this machine or `--insecure` allows plain HTTP, and never from an HTTPS registry to a
///   plain-HTTP realm.
/// - No request leaves an HTTPS registry for plain HTTP (a `Location` or redirect), unless `--insecure`.
enum CredentialScope {
    /// `scheme://host:port` of a URL, lower-cased, with the scheme's default port filled in.
    struct Origin: Equatable {
        var scheme: String
        var host: String
        var port: Int

        init?(_ url: String) {
            guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
                  let host = components.host?.lowercased(), !host.isEmpty
            else { return nil }
            self.scheme = scheme
            self.host = host
            guard let port = components.port ?? (scheme == "https" ? 443 : scheme == "http" ? 80 : nil) else { return nil }
            self.port = port
        }
    }

    /// Whether a request to `url` may carry the registry's `Authorization`: only on the registry's own origin.
    /// - Parameters:
    ///   - url: The request URL (an API path, an upload `Location`, a redirect target).
    ///   - registryBaseURL: `scheme://host[:port]` the registry answered `/v2/` on.
    /// - Returns: True when both have the same scheme, host and port.
    static func isRegistryOrigin(_ url: String, registryBaseURL: String) -> Bool {
        guard let target = Origin(url), let registry = Origin(registryBaseURL) else { return false }
        return target == registry
    }

    /// Whether going from `current` to `next` leaves HTTPS for plain HTTP.
    /// - Parameters:
    ///   - current: The URL answered from (or the registry's base URL).
    ///   - next: The `Location` to follow.
    /// - Returns: True for an `https://` → `http://` step.
    static func isDowngrade(from current: String, to next: String) -> Bool {
        Origin(current)?.scheme == "https" && Origin(next)?.scheme == "http"
    }

    /// Why the token realm must not receive the user's credentials, or nil when it may.
    /// - Parameters:
    ///   - realm: The bearer challenge's `realm` URL.
    ///   - registryBaseURL: `scheme://host[:port]` of the registry.
    ///   - insecure: Whether `--insecure` allows plain HTTP.
    /// - Returns: The reason in a few words.
    static func realmProblem(_ realm: String, registryBaseURL: String, insecure: Bool) -> String? {
        guard let target = Origin(realm) else { return "it is not an absolute http(s) URL" }
        switch target.scheme {
        case "https":
            return nil
        case "http":
            if Origin(registryBaseURL)?.scheme == "https" {
                return "it is plain HTTP while the registry uses HTTPS (a downgrade)"
            }
            if RegistryHost.isLoopback(host: target.host) || insecure { return nil }
            return "it is plain HTTP on another machine (pass --insecure only if this network is trusted)"
        default:
            return "its scheme \(target.scheme) is not https"
        }
    }
}
