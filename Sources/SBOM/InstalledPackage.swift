// One package the guest's package database says is installed.

/// An installed package as the package database records it (dpkg's `status` file on Debian).
public struct InstalledPackage: Sendable, Hashable, Codable {
    /// Binary package name, e.g. `ttyd`.
    public var name: String
    /// Full version with epoch and revision, e.g. `1:2.36-9+deb12u4`.
    public var version: String
    /// Debian architecture, e.g. `amd64`, `all`.
    public var architecture: String
    /// Source package name (the binary's own name when dpkg records none).
    public var sourceName: String
    /// Source version (the binary's version when dpkg records none).
    public var sourceVersion: String
    /// The `Maintainer` field, e.g. `Debian Go Packaging Team <team+pkg-go@tracker.debian.org>`.
    public var maintainer: String?
    /// The `Homepage` field.
    public var homepage: String?
    /// First line of `Description`.
    public var summary: String?
    /// An SPDX license expression when the package's copyright file is machine-readable, else nil.
    public var license: String?

    /// Creates a package record.
    /// - Parameters:
    ///   - name: Binary package name.
    ///   - version: Full version.
    ///   - architecture: Debian architecture.
    ///   - sourceName: Source package name; `name` when nil.
    ///   - sourceVersion: Source version; `version` when nil.
    ///   - maintainer: The `Maintainer` field.
    ///   - homepage: The `Homepage` field.
    ///   - summary: First line of the description.
    ///   - license: SPDX license expression.
    public init(
        name: String, version: String, architecture: String, sourceName: String? = nil, sourceVersion: String? = nil,
        maintainer: String? = nil, homepage: String? = nil, summary: String? = nil, license: String? = nil
    ) {
        self.name = name
        self.version = version
        self.architecture = architecture
        self.sourceName = sourceName ?? name
        self.sourceVersion = sourceVersion ?? version
        self.maintainer = maintainer
        self.homepage = homepage
        self.summary = summary
        self.license = license
    }

    /// `name:architecture`, unique within one guest (multi-arch packages share a name).
    public var key: String { "\(name):\(architecture)" }
}

extension InstalledPackage: Comparable {
    /// Sorted by name, then architecture, then version: the order every document lists packages in.
    public static func < (lhs: InstalledPackage, rhs: InstalledPackage) -> Bool {
        (lhs.name, lhs.architecture, lhs.version) < (rhs.name, rhs.architecture, rhs.version)
    }
}
