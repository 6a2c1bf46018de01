// Finds registry credentials the way docker and podman do: auth.json, config.json, credHelpers, credsStore.
import Foundation

/// Looks up credentials for a registry in docker `config.json` and containers `auth.json` files.
///
/// Without an explicit file the search order is `$REGISTRY_AUTH_FILE`, `$XDG_RUNTIME_DIR/containers/auth.json`,
/// `~/.config/containers/auth.json`, `$DOCKER_CONFIG/config.json` (else `~/.docker/config.json`). In each file,
/// `credHelpers[registry]` wins, then an `auths` entry (repository-scoped keys such as `host/ns/repo` first, then
/// the host; `https://index.docker.io/v1/` stands for docker.io), then `credsStore`.
public struct CredentialStore: Sendable {
    /// The files searched, in order.
    public let files: [String]

    /// Creates a store.
    /// - Parameters:
    ///   - authFile: An explicit file (`--authfile`); when given, only it is read.
    ///   - environment: The process environment.
    ///   - homeDirectory: The user's home.
    public init(
        authFile: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        homeDirectory: String = NSHomeDirectory()
    ) {
        if let authFile {
            files = [authFile]
            return
        }
        var files: [String] = []
        if let file = environment["REGISTRY_AUTH_FILE"], !file.isEmpty { files.append(file) }
        if let runtime = environment["XDG_RUNTIME_DIR"], !runtime.isEmpty { files.append(runtime + "/containers/auth.json") }
        files.append(homeDirectory + "/.config/containers/auth.json")
        if let docker = environment["DOCKER_CONFIG"], !docker.isEmpty {
            files.append(docker + "/config.json")
        } else {
            files.append(homeDirectory + "/.docker/config.json")
        }
        self.files = files
    }

    /// Finds the credential for a repository on a registry.
    /// - Parameters:
    ///   - registry: `host[:port]` as in the image reference (`docker.io` for Docker Hub).
    ///   - repository: The repository, for repository-scoped `auth.json` keys.
    /// - Returns: The credential and its source, or nil for anonymous access.
    /// - Throws: ``RegistryError/credentialsFile(path:reason:)``, ``RegistryError/credentialHelper(helper:reason:)``.
    public func credential(registry: String, repository: String? = nil) throws -> ResolvedCredential? {
        for path in files {
            guard FileManager.default.fileExists(atPath: path) else { continue }
            let file = try AuthFile(path: path)
            if let found = try file.credential(registry: registry, repository: repository) { return found }
        }
        return nil
    }

    /// The host names docker uses for a registry (Docker Hub has several).
    static func aliases(of registry: String) -> [String] {
        let hub = ["docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com"]
        return hub.contains(registry) ? hub : [registry]
    }
}

/// One parsed `config.json` / `auth.json`.
struct AuthFile {
    struct Entry: Decodable {
        var auth: String?
        var username: String?
        var password: String?
        var identitytoken: String?
        var registrytoken: String?
    }

    struct Document: Decodable {
        var auths: [String: Entry]?
        var credHelpers: [String: String]?
        var credsStore: String?
    }

    let path: String
    let document: Document

    init(path: String) throws {
        self.path = path
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RegistryError.credentialsFile(path: path, reason: "not readable")
        }
        if data.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            document = Document()
            return
        }
        do {
            document = try JSONDecoder().decode(Document.self, from: data)
        } catch {
            // Never echo the file: it holds secrets.
            throw RegistryError.credentialsFile(path: path, reason: "not a JSON object with \"auths\" (fix or remove it)")
        }
    }

    /// Normalises an `auths` key: `https://index.docker.io/v1/` → `index.docker.io`, `host/ns/repo` kept.
    static func normalize(_ key: String) -> String {
        var key = Substring(key)
        var hadScheme = false
        for scheme in ["https://", "http://"] where key.hasPrefix(scheme) {
            key = key.dropFirst(scheme.count)
            hadScheme = true
        }
        // A URL key (docker's legacy form) names a host; a bare key may carry a repository path (podman).
        if hadScheme, let slash = key.firstIndex(of: "/") { key = key[..<slash] }
        while key.hasSuffix("/") { key = key.dropLast() }
        return String(key)
    }

    func credential(registry: String, repository: String?) throws -> ResolvedCredential? {
        let hosts = CredentialStore.aliases(of: registry)
        if let helpers = document.credHelpers {
            for host in hosts {
                if let helper = helpers[host] {
                    return try CredentialHelper(name: helper, configuredIn: path).get(serverURL: Self.helperServerURL(registry))
                }
            }
        }
        if let entry = entry(hosts: hosts, repository: repository), let credential = try credential(from: entry) {
            return ResolvedCredential(credential: credential, source: path)
        }
        if let store = document.credsStore, !store.isEmpty {
            return try CredentialHelper(name: store, configuredIn: path).get(serverURL: Self.helperServerURL(registry))
        }
        return nil
    }

    /// Docker stores Docker Hub credentials under its v1 URL; others under the bare host.
    static func helperServerURL(_ registry: String) -> String {
        CredentialStore.aliases(of: registry).count > 1 ? "https://index.docker.io/v1/" : registry
    }

    private func entry(hosts: [String], repository: String?) -> Entry? {
        guard let auths = document.auths else { return nil }
        var byKey: [String: Entry] = [:]
        for (key, value) in auths { byKey[Self.normalize(key)] = value }
        var candidates: [String] = []
        for host in hosts {
            if let repository {
                var components = repository.split(separator: "/").map(String.init)
                while !components.isEmpty {
                    candidates.append(host + "/" + components.joined(separator: "/"))
                    components.removeLast()
                }
            }
            candidates.append(host)
        }
        return candidates.lazy.compactMap { byKey[$0] }.first
    }

    private func credential(from entry: Entry) throws -> Credential? {
        if let token = entry.registrytoken, !token.isEmpty { return .registryToken(token) }
        var username = entry.username
        var password = entry.password
        if let auth = entry.auth, !auth.isEmpty {
            guard let decoded = Data(base64Encoded: auth).map({ String(decoding: $0, as: UTF8.self) }),
                let colon = decoded.firstIndex(of: ":")
            else {
                throw RegistryError.credentialsFile(path: path, reason: "an \"auth\" value is not base64 of user:password")
            }
            username = String(decoded[..<colon])
            password = String(decoded[decoded.index(after: colon)...])
        }
        if let token = entry.identitytoken, !token.isEmpty {
            return .identityToken(username: username?.isEmpty == false ? username : nil, token: token)
        }
        if let username, let password, !username.isEmpty || !password.isEmpty {
            return .basic(username: username, password: password)
        }
        return nil
    }
}
