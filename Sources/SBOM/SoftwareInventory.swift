// Everything an SBOM says about one disk image, independent of the document format.

/// What is inside one image: its identity, operating system, installed packages and recipe inputs.
public struct SoftwareInventory: Sendable, Hashable, Codable {
    /// The image the SBOM describes.
    public struct Subject: Sendable, Hashable, Codable {
        /// Image name, e.g. `debian-terminal` (the disk's file name for a bare disk).
        public var name: String
        /// Image version, when known.
        public var version: String?

        /// Creates a subject.
        /// - Parameters:
        ///   - name: Image name.
        ///   - version: Image version.
        public init(name: String, version: String? = nil) {
            self.name = name
            self.version = version
        }
    }

    /// The guest operating system, as libguestfs inspection reports it.
    public struct OperatingSystem: Sendable, Hashable, Codable {
        /// Lower-case distribution id, e.g. `debian`.
        public var distro: String
        /// Major version, e.g. 13.
        public var majorVersion: Int
        /// Product name, e.g. `Debian GNU/Linux 13 (trixie)`.
        public var productName: String

        /// Creates an operating system record.
        /// - Parameters:
        ///   - distro: Distribution id.
        ///   - majorVersion: Major version.
        ///   - productName: Product name.
        public init(distro: String, majorVersion: Int, productName: String) {
            self.distro = distro
            self.majorVersion = majorVersion
            self.productName = productName
        }

        /// The purl `distro` qualifier, e.g. `debian-13`.
        public var purlDistro: String { "\(distro)-\(majorVersion)" }
    }

    /// The image the recipe started from.
    public struct Base: Sendable, Hashable, Codable {
        /// How the base is named (a well-known base, a URL or a path).
        public var name: String
        /// sha256 of the base disk or its download, when known.
        public var sha256: String?
        /// Where it came from, when it was downloaded.
        public var url: String?

        /// Creates a base record.
        /// - Parameters:
        ///   - name: Base name.
        ///   - sha256: Hex sha256.
        ///   - url: Download URL.
        public init(name: String, sha256: String? = nil, url: String? = nil) {
            self.name = name
            self.sha256 = sha256
            self.url = url
        }
    }

    /// A file the recipe placed in the guest, hashed as it is on the finished disk.
    public struct GuestFile: Sendable, Hashable, Codable, Comparable {
        /// Absolute guest path.
        public var path: String
        /// Hex sha256.
        public var sha256: String
        /// Hex sha1 (SPDX 2.3 requires it for files).
        public var sha1: String

        /// Creates a file record.
        /// - Parameters:
        ///   - path: Guest path.
        ///   - sha256: Hex sha256.
        ///   - sha1: Hex sha1.
        public init(path: String, sha256: String, sha1: String) {
            self.path = path
            self.sha256 = sha256
            self.sha1 = sha1
        }

        public static func < (lhs: GuestFile, rhs: GuestFile) -> Bool { lhs.path < rhs.path }
    }

    /// A download the recipe pinned by URL and sha256 (a `.deb`, a static binary).
    public struct Artifact: Sendable, Hashable, Codable, Comparable {
        /// File name, e.g. `ttyd_1.7.7-8_amd64.deb`.
        public var name: String
        /// Download URL.
        public var url: String
        /// Hex sha256 the recipe pinned.
        public var sha256: String

        /// Creates an artifact record.
        /// - Parameters:
        ///   - name: File name.
        ///   - url: Download URL.
        ///   - sha256: Hex sha256.
        public init(name: String, url: String, sha256: String) {
            self.name = name
            self.url = url
            self.sha256 = sha256
        }

        public static func < (lhs: Artifact, rhs: Artifact) -> Bool { (lhs.name, lhs.url) < (rhs.name, rhs.url) }
    }

    /// The image.
    public var subject: Subject
    /// Its operating system.
    public var operatingSystem: OperatingSystem
    /// Installed packages, sorted.
    public var packages: [InstalledPackage]
    /// Files the recipe uploaded or wrote, sorted by path.
    public var files: [GuestFile]
    /// Downloads the recipe pinned, sorted.
    public var artifacts: [Artifact]
    /// The base image, when known.
    public var base: Base?

    /// Creates an inventory; lists are sorted so documents come out the same for the same disk.
    /// - Parameters:
    ///   - subject: The image.
    ///   - operatingSystem: Its operating system.
    ///   - packages: Installed packages.
    ///   - files: Recipe files in the guest.
    ///   - artifacts: Pinned downloads.
    ///   - base: The base image.
    public init(
        subject: Subject, operatingSystem: OperatingSystem, packages: [InstalledPackage],
        files: [GuestFile] = [], artifacts: [Artifact] = [], base: Base? = nil
    ) {
        self.subject = subject
        self.operatingSystem = operatingSystem
        self.packages = packages.sorted()
        self.files = files.sorted()
        self.artifacts = artifacts.sorted()
        self.base = base
    }
}
