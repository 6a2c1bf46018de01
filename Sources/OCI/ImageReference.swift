// Names of images: repository and tag grammar (distribution spec) and `registry/repository:tag@digest`.
import Naming

/// A repository name, validated against the distribution spec's grammar.
public struct RepositoryName: Sendable, Hashable, CustomStringConvertible {
    /// The name, e.g. `labs/debian-desktop`.
    public let value: String

    /// Validates a repository name.
    /// - Parameter value: E.g. `labs/debian-desktop`.
    /// - Throws: ``OCIError/invalidRepository(_:reason:)``.
    public init(_ value: String) throws {
        guard !value.isEmpty else { throw OCIError.invalidRepository(value, reason: "it is empty") }
        guard value.count <= 255 else { throw OCIError.invalidRepository(value, reason: "longer than 255 characters") }
        for component in value.split(separator: "/", omittingEmptySubsequences: false) {
            guard Self.isValidComponent(component) else {
                throw OCIError.invalidRepository(value, reason: "path component '\(MessageText.escaped(String(component)))' is not allowed")
            }
        }
        self.value = value
    }

    /// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`
    static func isValidComponent(_ component: Substring) -> Bool {
        let alnum: (Character) -> Bool = { ($0 >= "a" && $0 <= "z") || ($0 >= "0" && $0 <= "9") }
        guard let first = component.first, let last = component.last, alnum(first), alnum(last) else { return false }
        var index = component.startIndex
        while index < component.endIndex {
            let character = component[index]
            if alnum(character) {
                index = component.index(after: index)
                continue
            }
            // A separator run: ".", "_", "__" or one or more "-".
            var run = ""
            while index < component.endIndex, !alnum(component[index]) {
                run.append(component[index])
                index = component.index(after: index)
            }
            guard run == "." || run == "_" || run == "__" || run.allSatisfy({ $0 == "-" }) else { return false }
        }
        return true
    }

    public var description: String { value }
}

/// A tag, validated against `[A-Za-z0-9_][A-Za-z0-9._-]{0,127}` (``ImageVersion``, the rule image versions share).
public struct Tag: Sendable, Hashable, CustomStringConvertible {
    /// The tag, e.g. `1.0`.
    public let value: String

    /// Validates a tag.
    /// - Parameter value: E.g. `1.0-202611251200`.
    /// - Throws: ``OCIError/invalidTag(_:)``.
    public init(_ value: String) throws {
        guard ImageVersion.isValid(value) else { throw OCIError.invalidTag(value) }
        self.value = value
    }

    public var description: String { value }
}

/// `registry/repository[:tag][@digest]`, e.g. `127.0.0.1:5000/labs/debian:1.0`.
public struct ImageReference: Sendable, Hashable, CustomStringConvertible {
    /// Registry host and optional port, e.g. `quay.io` or `127.0.0.1:5000`.
    public var registry: String
    /// Repository within the registry.
    public var repository: RepositoryName
    /// Tag, when given.
    public var tag: Tag?
    /// Digest, when given.
    public var digest: Digest?

    /// Creates a reference from parts.
    public init(registry: String, repository: RepositoryName, tag: Tag? = nil, digest: Digest? = nil) {
        self.registry = registry
        self.repository = repository
        self.tag = tag
        self.digest = digest
    }

    /// Parses a reference. The first path component is the registry when it contains `.` or `:` or is
    /// `localhost`; otherwise the registry is `docker.io` (and one-component names get `library/`).
    /// - Parameter string: The reference.
    /// - Throws: ``OCIError`` naming what is wrong.
    public init(parsing string: String) throws {
        var rest = Substring(string)
        if let at = rest.firstIndex(of: "@") {
            digest = try Digest(parsing: String(rest[rest.index(after: at)...]))
            rest = rest[..<at]
        }
        if let colon = rest.lastIndex(of: ":"), !rest[colon...].contains("/") {
            tag = try Tag(String(rest[rest.index(after: colon)...]))
            rest = rest[..<colon]
        }
        let components = rest.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        if components.count == 2, components[0].contains(".") || components[0].contains(":") || components[0] == "localhost"
            || components[0].hasPrefix("[") {
            // Checked here: the registry goes into URLs, manifests and the catalog.
            registry = try RegistryHost(parsing: String(components[0])).description
            repository = try RepositoryName(String(components[1]))
        } else {
            guard !rest.isEmpty else { throw OCIError.invalidReference(string, reason: "no repository") }
            registry = "docker.io"
            repository = try RepositoryName(components.count == 1 ? "library/\(rest)" : String(rest))
        }
        guard !registry.isEmpty else { throw OCIError.invalidReference(string, reason: "empty registry") }
    }

    /// `registry/repository@digest` when a digest is known, else `registry/repository:tag`.
    public var description: String {
        if let digest { return "\(registry)/\(repository)@\(digest)" }
        return "\(registry)/\(repository)" + (tag.map { ":\($0)" } ?? "")
    }

    /// The pinned form CDI and KubeVirt should use: `registry/repository@sha256:…`.
    /// - Parameter digest: The manifest digest.
    /// - Returns: The reference pinned by digest, without tag.
    public func pinned(to digest: Digest) -> ImageReference {
        ImageReference(registry: registry, repository: repository, tag: nil, digest: digest)
    }
}
