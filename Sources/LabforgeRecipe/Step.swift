// The typed steps a recipe runs in the guest, in order: pure data the engine interprets.

/// Who owns a guest file: user and group names, resolved in the guest at build time.
public struct FileOwner: Sendable, Hashable, Codable, CustomStringConvertible {
    /// User name (or a number).
    public var user: String
    /// Group name (or a number).
    public var group: String

    /// Creates an owner.
    /// - Parameters:
    ///   - user: User name or numeric id.
    ///   - group: Group name or numeric id; the user's name when omitted.
    public init(_ user: String, group: String? = nil) {
        self.user = user
        self.group = group ?? user
    }

    /// `root:root`.
    public static let root = FileOwner("root")

    public var description: String { "\(user):\(group)" }
}

/// A file on the internet pinned by URL and sha256, downloaded once on the host and cached.
public struct PinnedArtifact: Sendable, Hashable, Codable {
    /// What the file is.
    public enum Kind: String, Sendable, Hashable, Codable {
        /// A package for the guest's package manager (`.deb`, `.rpm`, `.apk`), installed with its dependencies.
        case package
        /// A static executable, copied to `installPath` with mode 0755.
        case executable
    }

    /// Download URL.
    public var url: String
    /// Lower-case hex sha256 of the file.
    public var sha256: String
    /// Package or executable.
    public var kind: Kind
    /// Where an executable goes in the guest (ignored for packages).
    public var installPath: String?
    /// The same artifact built for other architectures (a `.deb` of another architecture), each pinned alike; empty for
    /// a file every architecture takes (`_all.deb`, a script) or one that exists for one architecture only.
    public var variants: [Architecture: Variant]

    /// Another architecture's build of an artifact.
    public struct Variant: Sendable, Hashable, Codable {
        /// Download URL.
        public var url: String
        /// Lower-case hex sha256 of the file.
        public var sha256: String

        /// Creates a variant.
        /// - Parameters:
        ///   - url: Download URL.
        ///   - sha256: Hex sha256 of the file.
        public init(url: String, sha256: String) {
            self.url = url
            self.sha256 = sha256
        }
    }

    /// Creates a pinned artifact.
    /// - Parameters:
    ///   - url: Download URL.
    ///   - sha256: Hex sha256 of the file.
    ///   - kind: Package or executable.
    ///   - installPath: Guest path of an executable.
    ///   - variants: Other architectures' builds of it.
    public init(url: String, sha256: String, kind: Kind = .package, installPath: String? = nil, variants: [Architecture: Variant] = [:]) {
        self.url = url
        self.sha256 = sha256
        self.kind = kind
        self.installPath = installPath
        self.variants = variants
    }

    /// The artifact a build for `architecture` downloads: that architecture's variant when there is one, else this
    /// file; without variants either way (what the build installs is what its fingerprint names).
    /// - Parameter architecture: The image's architecture.
    /// - Returns: The artifact for it.
    public func resolved(for architecture: Architecture) -> PinnedArtifact {
        var resolved = self
        if let variant = variants[architecture] {
            resolved.url = variant.url
            resolved.sha256 = variant.sha256
        }
        resolved.variants = [:]
        return resolved
    }

    private enum CodingKeys: String, CodingKey { case url, sha256, kind, installPath, variants }

    /// Decodes an artifact; `variants` may be absent (none).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        url = try container.decode(String.self, forKey: .url)
        sha256 = try container.decode(String.self, forKey: .sha256)
        kind = try container.decode(Kind.self, forKey: .kind)
        installPath = try container.decodeIfPresent(String.self, forKey: .installPath)
        variants = try container.decodeIfPresent([Architecture: Variant].self, forKey: .variants) ?? [:]
    }

    /// Encodes an artifact; no `variants` key when there are none (a resolved artifact encodes as artifacts always did).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(url, forKey: .url)
        try container.encode(sha256, forKey: .sha256)
        try container.encode(kind, forKey: .kind)
        try container.encodeIfPresent(installPath, forKey: .installPath)
        if !variants.isEmpty { try container.encode(variants, forKey: .variants) }
    }

    /// The file name at the end of the URL.
    public var fileName: String {
        String(url.split(separator: "/").last ?? "artifact")
    }
}

/// Where a package comes from.
public enum PackageSource: Sendable, Hashable, Codable {
    /// The guest's own repositories.
    case repositories
    /// The guest's repositories when they have the package, otherwise the pinned artifact.
    case repositoriesElse(PinnedArtifact)
    /// Always the pinned artifact.
    case artifact(PinnedArtifact)
}

extension PackageSource {
    /// The source with its pinned artifact resolved for `architecture` (``PinnedArtifact/resolved(for:)``).
    public func resolved(for architecture: Architecture) -> PackageSource {
        switch self {
        case .repositories: return self
        case .repositoriesElse(let artifact): return .repositoriesElse(artifact.resolved(for: architecture))
        case .artifact(let artifact): return .artifact(artifact.resolved(for: architecture))
        }
    }

    /// The pinned file of an `.artifact` or `.repositoriesElse` source.
    public var artifact: PinnedArtifact? {
        switch self {
        case .repositories: return nil
        case .artifact(let artifact), .repositoriesElse(let artifact): return artifact
        }
    }
}

/// One package and where it comes from.
public struct PackageRequest: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Package name in the guest's package manager.
    public var name: String
    /// Where it comes from.
    public var source: PackageSource

    /// Creates a request.
    /// - Parameters:
    ///   - name: Package name.
    ///   - source: Where it comes from; the guest's repositories by default.
    public init(_ name: String, source: PackageSource = .repositories) {
        self.name = name
        self.source = source
    }

    public var description: String {
        switch source {
        case .repositories: return name
        case .repositoriesElse(let artifact): return "\(name) (else \(artifact.fileName))"
        case .artifact(let artifact): return "\(name) (\(artifact.fileName))"
        }
    }
}

/// What to do with a systemd unit.
public enum UnitAction: String, Sendable, Hashable, Codable {
    /// Create the symlinks its `[Install]` section asks for.
    case enable
    /// Remove those symlinks.
    case disable
    /// Link the unit to `/dev/null`.
    case mask
}

/// Sudo rights of a created user.
public enum SudoRights: String, Sendable, Hashable, Codable {
    /// None.
    case none
    /// Sudo with the user's password.
    case withPassword
    /// Sudo without a password.
    case passwordless
}

/// A user account created in the image.
public struct UserAccount: Sendable, Hashable, Codable {
    /// Login name.
    public var name: String
    /// Numeric id, or the next free one.
    public var uid: Int?
    /// Full name (GECOS).
    public var comment: String
    /// Supplementary groups (must exist in the guest).
    public var groups: [String]
    /// Sudo rights.
    public var sudo: SudoRights
    /// Login shell.
    public var shell: String
    /// SSH public keys for `~/.ssh/authorized_keys`.
    public var authorizedKeys: [String]
    /// A crypt(3) hash (`$6$…`, `$y$…`); never a clear-text password. `nil` leaves the account locked.
    public var passwordHash: String?
}

/// One step of a recipe. The engine runs them in order in one appliance.
public enum Step: Sendable, Hashable, Codable {
    /// Install packages (with their dependencies, without recommends).
    case install([PackageRequest])
    /// Remove packages.
    case remove([String])
    /// Upgrade every installed package.
    case upgrade
    /// Take files below `path` out of a package without installing it or its dependencies.
    case extractPackageFiles(package: String, path: String)
    /// Write a file.
    case writeFile(path: String, contents: String, mode: Int, owner: FileOwner)
    /// Copy a host file or directory tree into a guest directory (`destination` is the directory).
    case upload(source: String, destination: String, owner: FileOwner?)
    /// Create a directory and its parents.
    case makeDirectory(path: String, mode: Int, owner: FileOwner)
    /// Create or replace a symbolic link.
    case symlink(target: String, path: String)
    /// Delete files or trees matching a guest glob.
    case delete(path: String)
    /// Run a shell script in the guest (`/bin/sh -c`); a non-zero exit fails the build.
    case run(script: String)
    /// Create a user.
    case createUser(UserAccount)
    /// Enable, disable or mask a systemd unit (offline, no systemctl).
    case unit(name: String, action: UnitAction)
    /// Set the hostname.
    case hostname(String)
    /// Set the time zone (`Europe/Zurich`).
    case timezone(String)
    /// Set the default locale (`en_US.UTF-8`).
    case locale(String)
    /// Run a script once, at the first boot.
    case firstBoot(name: String, script: String)
    /// Grow the disk to `sizeGiB` and the root filesystem with it (runs before the filesystems are mounted).
    case growRoot(sizeGiB: Int)
    /// Generalize the image: the last step unless the recipe opts out.
    case sysprep(Sysprep)

    /// A short name for progress lines and errors.
    public var title: String {
        switch self {
        case .install(let packages): return "install " + packages.map(\.description).joined(separator: " ")
        case .remove(let packages): return "remove " + packages.joined(separator: " ")
        case .upgrade: return "upgrade packages"
        case .extractPackageFiles(let package, let path): return "extract \(path) from package \(package)"
        case .writeFile(let path, _, let mode, let owner): return "write \(path) (\(String(mode, radix: 8)), \(owner))"
        case .upload(let source, let destination, _): return "upload \(source) to \(destination)"
        case .makeDirectory(let path, _, _): return "mkdir \(path)"
        case .symlink(let target, let path): return "symlink \(path) → \(target)"
        case .delete(let path): return "delete \(path)"
        case .run(let script): return "run " + Self.firstLine(SecretRedaction.script(script))
        case .createUser(let user): return "create user \(user.name)"
        case .unit(let name, let action): return "\(action.rawValue) \(name)"
        case .hostname(let name): return "hostname \(name)"
        case .timezone(let zone): return "timezone \(zone)"
        case .locale(let locale): return "locale \(locale)"
        case .firstBoot(let name, _): return "first-boot command \(name)"
        case .growRoot(let size): return "grow disk and root filesystem to \(size) GiB"
        case .sysprep: return "sysprep"
        }
    }

    private static func firstLine(_ script: String) -> String {
        let line = script.split(separator: "\n").first.map(String.init) ?? ""
        return line.count > 60 ? String(line.prefix(57)) + "…" : line
    }
}
