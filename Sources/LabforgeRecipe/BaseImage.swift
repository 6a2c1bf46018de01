// The base a lab image starts from: a pinned upstream cloud image, a local disk, or a Debian bootstrap.

/// Disk formats a base image may come in.
public enum DiskFormat: String, Sendable, Hashable, Codable {
    case qcow2
    case raw
    case vmdk
}

/// How an upstream image file is compressed on the server.
public enum DownloadCompression: String, Sendable, Hashable, Codable {
    case none
    case xz
    case gz
}

/// A published checksum of an upstream file.
public enum Checksum: Sendable, Hashable, Codable {
    case sha256(String)
    case sha512(String)
}

/// A cloud image published upstream, pinned by URL and checksum.
public struct UpstreamImage: Sendable, Hashable, Codable {
    /// Short name used on the command line and in the catalog, e.g. `debian-13-genericcloud`.
    public var name: String
    /// Where to download it.
    public var url: String
    /// The checksum of the file at `url` (before decompression), as the publisher lists it.
    public var checksum: Checksum
    /// The disk format after decompression.
    public var format: DiskFormat
    /// How the file at `url` is compressed.
    public var compression: DownloadCompression

    /// Creates a pinned upstream image.
    /// - Parameters:
    ///   - name: Short name.
    ///   - url: Download URL.
    ///   - checksum: Published checksum of the downloaded file.
    ///   - format: Disk format after decompression.
    ///   - compression: Compression of the downloaded file.
    public init(name: String, url: String, checksum: Checksum, format: DiskFormat = .qcow2, compression: DownloadCompression = .none) {
        self.name = name
        self.url = url
        self.checksum = checksum
        self.format = format
        self.compression = compression
    }
}

/// A bootable Debian disk built by labforge from the Debian mirror (mmdebstrap), no download elsewhere.
public struct DebianBootstrap: Sendable, Hashable, Codable {
    /// The Debian suite; `trixie` (Debian 13, the current stable) by default.
    public var suite: String
    /// Packages added to the minimal bootable system.
    public var extraPackages: [String]
    /// Virtual size of the disk in GiB.
    public var diskSizeGiB: Int
    /// Packages that come as pinned `.deb` files (always the file, or the repositories' package when the
    /// archive offers it, else the file), installed after `extraPackages` in the same bootstrap.
    public var pinnedPackages: [PackageRequest]
    /// The architecture bootstrapped (``Architecture/amd64`` by default; another one runs its programs under qemu-user).
    public var architecture: Architecture

    /// Creates a bootstrap description.
    /// - Parameters:
    ///   - suite: Debian suite.
    ///   - extraPackages: Extra packages to include.
    ///   - diskSizeGiB: Virtual disk size in GiB.
    ///   - pinnedPackages: Packages from pinned `.deb` files (sources `.artifact` or `.repositoriesElse`).
    ///   - architecture: The architecture bootstrapped.
    public init(
        suite: String = "trixie", extraPackages: [String] = [], diskSizeGiB: Int = 4, pinnedPackages: [PackageRequest] = [],
        architecture: Architecture = .amd64
    ) {
        self.architecture = architecture
        self.suite = suite
        self.extraPackages = extraPackages
        self.diskSizeGiB = diskSizeGiB
        self.pinnedPackages = pinnedPackages
    }

    private enum CodingKeys: String, CodingKey { case suite, extraPackages, diskSizeGiB, pinnedPackages, architecture }

    /// Decodes a description; `pinnedPackages` may be absent (none), `architecture` too (amd64).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        suite = try container.decode(String.self, forKey: .suite)
        extraPackages = try container.decode([String].self, forKey: .extraPackages)
        diskSizeGiB = try container.decode(Int.self, forKey: .diskSizeGiB)
        pinnedPackages = try container.decodeIfPresent([PackageRequest].self, forKey: .pinnedPackages) ?? []
        architecture = try container.decodeIfPresent(Architecture.self, forKey: .architecture) ?? .amd64
    }

    /// Encodes a description; no `pinnedPackages` key when there are none and no `architecture` for amd64, so that
    /// recipes without them keep the fingerprints they had.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(suite, forKey: .suite)
        try container.encode(extraPackages, forKey: .extraPackages)
        try container.encode(diskSizeGiB, forKey: .diskSizeGiB)
        if !pinnedPackages.isEmpty { try container.encode(pinnedPackages, forKey: .pinnedPackages) }
        if architecture != .amd64 { try container.encode(architecture, forKey: .architecture) }
    }
}

/// Where a recipe's disk comes from.
public enum BaseImage: Sendable, Hashable, Codable {
    /// A pinned upstream cloud image, downloaded once, verified and cached.
    case upstream(UpstreamImage)
    /// A disk file already on this machine (never modified).
    case localFile(path: String, format: DiskFormat)
    /// A Debian system bootstrapped from the Debian mirror: the built-in default.
    case debianBootstrap(DebianBootstrap)

    /// The built-in default base: Debian 13 (trixie) bootstrapped from the Debian mirror.
    public static let defaultDebian = BaseImage.debianBootstrap(DebianBootstrap())
}
