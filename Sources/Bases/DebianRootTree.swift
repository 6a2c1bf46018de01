// The host root tree: mmdebstrap on the host into a directory or tarball, the stage both the VM bootstrap and the container image start from.
import Foundation
import LabforgeRecipe
import Logging
import SourceDate

/// One mmdebstrap run on the host: a Debian suite with a package set and hooks, written as a directory
/// (the VM bootstrap's ext4 and the container image's layer are made from it) or a tarball (the appliance path).
///
/// Needs root (`--mode=root`): the tree holds files only root may create. mmdebstrap mounts `/dev/pts`, `/dev/shm`,
/// `/proc` and `/sys` into the tree for the hooks, in a mount namespace of its own (``PrivateMountNamespace``): the
/// host never sees those mounts, so a killed mmdebstrap cannot leave them behind. It removes apt's package lists
/// and downloaded `.deb`s at the end (no package caches in the output).
public struct DebianRootTree: Sendable, Equatable {
    /// Debian suite or codename (`trixie`).
    public var suite: String
    /// mmdebstrap variant: `minbase` (Essential + apt) for both targets.
    public var variant: String
    /// Packages and `.deb` paths passed to `--include`, in order, each once.
    public var packages: [String]
    /// Shell commands for `--essential-hook`: run on the host with the tree as `$1`, before the included packages.
    public var essentialHooks: [String]
    /// Shell commands for `--customize-hook`: run on the host with the tree as `$1`, after them, with /dev,
    /// /proc and /sys mounted in the tree and apt's lists present (`chroot "$1" apt-get …` works).
    public var customizeHooks: [String]
    /// apt sources, one `deb URI SUITE COMPONENT` line each.
    public var sources: [String]
    /// mmdebstrap stages to skip (`--skip=`), e.g. `cleanup/run` to keep what the hooks put in /run.
    public var skip: [String]
    /// dpkg options (`--dpkgopt=`), e.g. `path-exclude=/usr/share/man/*`.
    public var dpkgOptions: [String]
    /// The tree's architecture when it is not the host's (`--architectures=`; its programs run under qemu-user, and
    /// mmdebstrap's own qemu check — `arch-test`, absent from Debian's mirror — is skipped); nil: the host's.
    public var foreignArchitecture: Architecture?

    /// Creates a description.
    /// - Parameters:
    ///   - suite: Debian suite.
    ///   - variant: mmdebstrap variant.
    ///   - packages: Packages (or absolute `.deb` paths) to include.
    ///   - essentialHooks: Commands run after the Essential set is installed.
    ///   - customizeHooks: Commands run after every package is installed.
    ///   - sources: apt source lines.
    ///   - skip: mmdebstrap stages to skip.
    ///   - dpkgOptions: dpkg options.
    ///   - foreignArchitecture: The architecture when it is not the host's.
    public init(
        suite: String, variant: String = "minbase", packages: [String], essentialHooks: [String] = [], customizeHooks: [String] = [],
        sources: [String], skip: [String] = [], dpkgOptions: [String] = [], foreignArchitecture: Architecture? = nil
    ) {
        self.foreignArchitecture = foreignArchitecture
        self.skip = skip
        self.dpkgOptions = dpkgOptions
        self.suite = suite
        self.variant = variant
        var seen = Set<String>()
        self.packages = packages.filter { seen.insert($0).inserted }
        self.essentialHooks = essentialHooks
        self.customizeHooks = customizeHooks
        self.sources = sources
    }

    /// The apt sources for a suite: the suite, its updates and its security archive (none for sid).
    /// - Parameters:
    ///   - suite: Debian suite or codename.
    ///   - mirror: Debian archive URL.
    ///   - securityMirror: Debian security archive URL.
    /// - Returns: One-line sources as mmdebstrap takes them.
    public static func sources(for suite: String, mirror: String, securityMirror: String) -> [String] {
        if ["sid", "unstable", "experimental"].contains(suite) { return ["deb \(mirror) \(suite) main"] }
        return [
            "deb \(mirror) \(suite) main",
            "deb \(mirror) \(suite)-updates main",
            "deb \(securityMirror) \(suite)-security main",
        ]
    }

    /// The mmdebstrap command line (without the program name).
    /// - Parameters:
    ///   - output: A directory (`format` `directory`) or a tarball path.
    ///   - format: mmdebstrap's `--format`.
    /// - Returns: Arguments.
    public func arguments(output: String, format: String) -> [String] {
        var arguments = foreignArchitecture.map { ["--architectures=\($0.rawValue)", "--skip=check/qemu"] } ?? []
        arguments += [
            "--variant=\(variant)", "--mode=root", "--format=\(format)",
            "--aptopt=APT::Install-Recommends \"false\"",
            "--aptopt=Acquire::Retries \"3\"",
        ]
        if !packages.isEmpty { arguments.append("--include=" + packages.joined(separator: ",")) }
        arguments += essentialHooks.map { "--essential-hook=\($0)" }
        arguments += customizeHooks.map { "--customize-hook=\($0)" }
        arguments += skip.map { "--skip=\($0)" }
        arguments += dpkgOptions.map { "--dpkgopt=\($0)" }
        // The host's keyring file holds the keys of every current release, trixie included.
        let keyring = "/usr/share/keyrings/debian-archive-keyring.gpg"
        if FileManager.default.fileExists(atPath: keyring) { arguments.append("--keyring=\(keyring)") }
        arguments += [suite, output]
        arguments += sources
        return arguments
    }

    /// Runs mmdebstrap in a private mount namespace (``PrivateMountNamespace``). `SOURCE_DATE_EPOCH`, when set, is
    /// passed on (mmdebstrap clamps times to it).
    /// - Parameters:
    ///   - output: Where the tree (or tarball) goes; a directory must not exist or be empty.
    ///   - format: `directory` or `tar`.
    ///   - temporaryDirectory: mmdebstrap's `TMPDIR` (its gpg home, the chroot of tar mode); the inherited one when `nil`.
    ///   - logger: Receives one line naming the suite.
    ///   - log: Receives mmdebstrap's output (the build log).
    /// - Throws: ``BasesError/toolFailed(tool:arguments:status:output:)`` or ``BasesError/toolMissing(tool:package:)``
    ///   (for mmdebstrap, or util-linux's `unshare`), ``SourceDateEpochError`` for a malformed `SOURCE_DATE_EPOCH`.
    public func make(
        into output: String, format: String = "directory", temporaryDirectory: String? = nil, logger: Logger, log: (@Sendable (String) -> Void)?
    ) async throws {
        var environment: [String: String] = [:]
        // Reproducible as far as Debian allows: clamp mtimes when the caller pins an epoch.
        if let epoch = try SourceDateEpoch.current() { environment[SourceDateEpoch.variable] = String(epoch.seconds) }
        // mmdebstrap's own temp files (its gpg home, the chroot of tar mode) go where the caller cleans up.
        if let temporaryDirectory { environment["TMPDIR"] = temporaryDirectory }
        // A foreign tree's programs run under qemu-user: its CPU model for them (the bootstrap's longest part).
        if let foreignArchitecture { environment.merge(foreignArchitecture.userEmulationEnvironment) { _, emulation in emulation } }
        logger.info("mmdebstrap: Debian \(suite) (\(variant), \(packages.count) extra packages) from \(sources.first ?? "?")")
        try await PrivateMountNamespace.run(.mmdebstrap, arguments(output: output, format: format), environment: environment, output: log)
    }
}
