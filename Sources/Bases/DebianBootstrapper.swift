// Builds a bootable Debian qcow2 from the Debian mirror alone, on the host: mmdebstrap, sfdisk, mke2fs, mkfs.vfat and mtools.
import AtomicFile
import DiskImage
import Foundation
import LabforgeRecipe
import Logging
import Reporting
import SourceDate
#if canImport(Glibc)
import Glibc
#endif

/// Turns a ``DebianBootstrap`` description into a disk that boots under UEFI with Secure Boot, plain UEFI and
/// BIOS (``HostDiskLayout``: GPT, shim → Debian's signed GRUB → Debian's signed kernel at the removable-media path,
/// GRUB i386-pc in a BIOS boot partition, one `grub.cfg` kept by Debian's kernel hooks), with a serial console,
/// DHCP on the first NIC, cloud-init, qemu-guest-agent and openssh-server. Needs root (mmdebstrap's root mode).
public struct DebianBootstrapper: Sendable {
    /// Debian archive, e.g. `http://deb.debian.org/debian`.
    public var mirror: String
    /// Debian security archive.
    public var securityMirror: String
    /// Where the partial work (root tree or tarball, staging files, raw disk) goes; the system temp dir by default.
    public var workDirectory: String?
    /// Receives mmdebstrap's and the appliance's output (the build log).
    public var log: (@Sendable (String) -> Void)?
    private let logger: Logger

    /// Creates a bootstrapper.
    /// - Parameters:
    ///   - mirror: Debian archive URL.
    ///   - securityMirror: Debian security archive URL.
    ///   - workDirectory: Scratch directory (needs ≈ 1.5 GiB); the system temp dir when `nil`.
    ///   - logger: Logger for step lines.
    ///   - log: Receives tool output.
    public init(
        mirror: String = "http://deb.debian.org/debian", securityMirror: String = "http://deb.debian.org/debian-security",
        workDirectory: String? = nil, logger: Logger = Logger(label: "labforge.bases"),
        log: (@Sendable (String) -> Void)? = nil
    ) {
        self.mirror = mirror
        self.securityMirror = securityMirror
        self.workDirectory = workDirectory
        self.logger = logger
        self.log = log
    }

    /// The apt sources for a suite: the suite, its updates and its security archive (none for sid).
    /// - Parameter suite: Debian suite or codename.
    /// - Returns: One-line sources as mmdebstrap takes them.
    public func sources(for suite: String) -> [String] {
        DebianRootTree.sources(for: suite, mirror: mirror, securityMirror: securityMirror)
    }

    /// Builds the disk and renames it into place at `output` (nothing is left there on failure).
    /// - Parameters:
    ///   - spec: Suite, extra packages, disk size, pinned packages, architecture (a foreign one runs under qemu-user).
    ///   - pinnedFiles: sha256 → verified host file of each pinned `.deb` in `spec.pinnedPackages`.
    ///   - output: Path of the qcow2 to write.
    ///   - progress: Receives `bootstrap` steps and `disk` bytes.
    /// - Throws: ``BasesError`` naming the failed tool or step.
    public func build(
        _ spec: DebianBootstrap, pinnedFiles: [String: String] = [:], output: String, progress: any ProgressReporter = SilentProgress()
    ) async throws {
        let subject = "debian-\(spec.suite)"
        try await bootstrapping(spec, pinnedFiles: pinnedFiles, subject: subject, progress: progress) { scratch, staging in
            // No fsync, as for every disk labforge writes (qemu-img does not flush; a base lost in a crash is bootstrapped again).
            try await AtomicFile.replace(output, sync: false) { temporary in
                Interruption.register(temporary)
                defer { Interruption.unregister(temporary) }
                let rootTree = scratch + "/root"
                try await bootstrapTree(spec, staging: staging, into: rootTree, format: "directory", subject: subject, progress: progress)
                progress.report(ProgressEvent(
                    subject: subject, stage: "bootstrap", detail: "GPT, EFI system partition, BIOS boot and ext4 on the host", completed: 1, total: 3, unit: .steps))
                try await diskFromTree(rootTree, layout: try HostDiskLayout.make(for: spec), scratch: scratch, output: temporary, log: log) {
                    // The tree is no longer needed: free its ≈ 0.5 GiB before the qcow2 is written (what is left goes with the scratch).
                    _ = removeTree(rootTree)
                    progress.report(ProgressEvent(subject: subject, stage: "bootstrap", detail: "qcow2", completed: 2, total: 3, unit: .steps))
                }
            }
        }
    }

    /// Bootstraps the root tree of `spec` (with the boot hook's files: `/boot/grub/grub.cfg` naming the root by the
    /// UUID ``writeDisk(rootTree:spec:sizeGiB:output:log:)`` gives it) and packs it as a tar archive at `output`:
    /// mmdebstrap's own `--format=tar` (numeric owners, extended attributes, device nodes; times clamped to
    /// `SOURCE_DATE_EPOCH` when set). What the store hands over for an architecture libguestfs's x86-64 appliance
    /// cannot run (``BaseContent/rootTreeArchive``): the tree is customized under qemu-user and the disk written after.
    /// - Parameters:
    ///   - spec: The bootstrap.
    ///   - pinnedFiles: sha256 → verified host file of each pinned `.deb`.
    ///   - output: The tar file to write (written in place: the caller renames it).
    ///   - progress: Receives `bootstrap` steps.
    /// - Throws: ``BasesError/foreignArchitectureUnsupported(architecture:missing:)`` when the host cannot run the
    ///   tree's programs, else ``BasesError`` naming the failed tool or step.
    public func buildRootTreeArchive(
        _ spec: DebianBootstrap, pinnedFiles: [String: String] = [:], output: String, progress: any ProgressReporter = SilentProgress()
    ) async throws {
        let subject = "debian-\(spec.suite)-\(spec.architecture)"
        try await bootstrapping(spec, pinnedFiles: pinnedFiles, subject: subject, progress: progress) { _, staging in
            try await bootstrapTree(spec, staging: staging, into: output, format: "tar", subject: subject, progress: progress)
        }
    }

    /// Runs `body` with a scratch directory and the hooks' files staged in it, then reports the bootstrap done.
    private func bootstrapping(
        _ spec: DebianBootstrap, pinnedFiles: [String: String], subject: String, progress: any ProgressReporter,
        _ body: (_ scratch: String, _ staging: String) async throws -> Void
    ) async throws {
        try await withScratchDirectory { scratch in
            try await body(scratch, try prepareStaging(spec, pinnedFiles: pinnedFiles, scratch: scratch))
        }
        progress.report(ProgressEvent(subject: subject, stage: "bootstrap", detail: "done", completed: 3, total: 3, unit: .steps, finished: true))
    }

    /// Writes a bootable qcow2 (uncompressed) from an extracted root tree of `spec`'s architecture: the same layout
    /// the bootstrap's `grub.cfg` was made for (``HostDiskLayout/make(for:sizeGiB:)``: UUIDs from the suite, the
    /// architecture and `SOURCE_DATE_EPOCH`), the root partition filling `sizeGiB`. The file is renamed into place
    /// (nothing is left at `output` on failure). The bootstrap's own disks are written by this same code.
    /// - Parameters:
    ///   - rootTree: The extracted tree (``extractRootTree(archive:into:)``), read as root; left as it is.
    ///   - spec: The bootstrap the tree came from.
    ///   - sizeGiB: Virtual disk size, at least `spec.diskSizeGiB`.
    ///   - output: The qcow2 to write.
    ///   - log: Receives the tools' output; the bootstrapper's own ``log`` when nil.
    /// - Throws: ``BasesError/diskTooSmall(requestedGiB:minimumGiB:)``, ``BasesError/bootFilesMissing(path:package:)``
    ///   for a tree without its boot chain, ``BasesError/toolFailed(tool:arguments:status:output:)``.
    public func writeDisk(rootTree: String, spec: DebianBootstrap, sizeGiB: Int, output: String, log: (@Sendable (String) -> Void)?) async throws {
        guard sizeGiB >= spec.diskSizeGiB else { throw BasesError.diskTooSmall(requestedGiB: sizeGiB, minimumGiB: spec.diskSizeGiB) }
        let layout = try HostDiskLayout.make(for: spec, sizeGiB: sizeGiB)
        try await withScratchDirectory { scratch in
            try await AtomicFile.replace(output, sync: false) { temporary in
                Interruption.register(temporary)
                defer { Interruption.unregister(temporary) }
                try await diskFromTree(rootTree, layout: layout, scratch: scratch, output: temporary, log: log ?? self.log) {}
            }
        }
    }

    /// Writes the disk of a root tree archive as it is (no customization): the tree unpacked into a scratch directory
    /// (``extractRootTree(archive:into:)``), then ``writeDisk(rootTree:spec:sizeGiB:output:log:)``.
    /// - Parameters:
    ///   - archive: The archive (``BaseContent/rootTreeArchive``).
    ///   - spec: The bootstrap it came from.
    ///   - sizeGiB: Virtual disk size, at least `spec.diskSizeGiB`.
    ///   - output: The qcow2 to write.
    /// - Throws: What the two steps throw.
    public func writeDisk(rootTreeArchive archive: String, spec: DebianBootstrap, sizeGiB: Int, output: String) async throws {
        try await withScratchDirectory { scratch in
            let tree = scratch + "/root"
            let started = ContinuousClock.now
            try await Self.extractRootTree(archive: archive, into: tree)
            logger.info("root tree archive extracted in \(Self.seconds(ContinuousClock.now - started)) s")
            try await writeDisk(rootTree: tree, spec: spec, sizeGiB: sizeGiB, output: output, log: log)
        }
    }

    /// Unpacks a root tree archive (``buildRootTreeArchive(_:pinnedFiles:output:progress:)``) into `directory`
    /// (created when missing) with GNU tar as root: numeric owners, permissions, extended attributes (file
    /// capabilities), device nodes.
    /// - Parameters:
    ///   - archive: The tar file.
    ///   - directory: Where the tree goes.
    /// - Throws: ``BasesError/toolFailed(tool:arguments:status:output:)`` or ``BasesError/localFileMissing(path:)``.
    public static func extractRootTree(archive: String, into directory: String) async throws {
        guard FileManager.default.isReadableFile(atPath: archive) else { throw BasesError.localFileMissing(path: archive) }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try await PackagedTool.tar.run(extractArguments(archive: archive, into: directory))
    }

    /// GNU tar's arguments for ``extractRootTree(archive:into:)``.
    static func extractArguments(archive: String, into directory: String) -> [String] {
        [
            "--extract", "--file", archive, "--directory", directory, "--numeric-owner", "--same-owner", "--preserve-permissions",
            "--xattrs", "--xattrs-include=*",
        ]
    }

    /// Makes a private scratch directory, runs `body` with it and removes it (registered for interrupts meanwhile).
    private func withScratchDirectory(_ body: (String) async throws -> Void) async throws {
        let scratch = try makeScratchDirectory()
        // Registered so that an interrupt that cannot wait for this unwinding still removes it (gigabytes).
        Interruption.register(scratch)
        defer {
            // Left registered when it cannot be removed: the interrupted run's last line then names it and says why.
            if removeTree(scratch) { Interruption.unregister(scratch) }
        }
        try await body(scratch)
    }

    /// Writes the hooks' files and the pinned packages to `scratch/staging`.
    /// - Returns: The staging directory.
    private func prepareStaging(_ spec: DebianBootstrap, pinnedFiles: [String: String], scratch: String) throws -> String {
        let staging = scratch + "/staging"
        try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true)
        try writeStagingFiles(to: staging, rootUUID: try HostDiskLayout.make(for: spec).uuid, architecture: spec.architecture)
        try stagePinnedPackages(spec.pinnedPackages, files: pinnedFiles, staging: staging)
        return staging
    }

    /// mmdebstrap into a directory or tar file, each of its phases a progress step; a foreign architecture is
    /// checked first (``ForeignArchitecture/check(_:binfmtDirectory:)``).
    private func bootstrapTree(
        _ spec: DebianBootstrap, staging: String, into output: String, format: String, subject: String, progress: any ProgressReporter
    ) async throws {
        try ForeignArchitecture.check(spec.architecture)
        progress.report(ProgressEvent(subject: subject, stage: "bootstrap", detail: "mmdebstrap \(spec.suite)", completed: 0, total: 3, unit: .steps))
        let started = ContinuousClock.now
        // Each of mmdebstrap's phases (download, the chroot's dpkg, the hooks) is a progress step of its own.
        let log = self.log
        let phases: @Sendable (String) -> Void = { line in
            log?(line)
            guard let phase = MmdebstrapPhase(line: line) else { return }
            progress.report(ProgressEvent(
                subject: subject, stage: "bootstrap", detail: "mmdebstrap \(spec.suite): \(phase.rawValue)", completed: 0, total: 3, unit: .steps))
        }
        try await runMmdebstrap(spec, staging: staging, into: output, format: format, log: phases)
        logger.info("bootstrap timings: mmdebstrap \(spec.suite) \(spec.architecture) (\(format)) \(Self.seconds(ContinuousClock.now - started)) s")
    }

    /// The one way a disk is written from a tree: the partitioned raw disk on the host (``HostDiskLayout``), then
    /// qcow2. `filesystemsWritten` runs between the two (the bootstrap frees its tree there).
    private func diskFromTree(
        _ rootTree: String, layout: HostDiskLayout, scratch: String, output: String, log: (@Sendable (String) -> Void)?,
        filesystemsWritten: () -> Void
    ) async throws {
        let started = ContinuousClock.now
        let raw = scratch + "/disk.raw"
        let toolScratch = scratch + "/disk"
        try FileManager.default.createDirectory(atPath: toolScratch, withIntermediateDirectories: true)
        try await layout.write(rootTree: rootTree, to: raw, scratch: toolScratch, log: log)
        filesystemsWritten()
        let filesystemDone = ContinuousClock.now
        try await PackagedTool.qemuImg.run(["convert", "-q", "-f", "raw", "-O", "qcow2", raw, output])
        try? FileManager.default.removeItem(atPath: raw)
        logger.info(
            "disk timings (\(layout.architecture)): partitions and file systems \(Self.seconds(filesystemDone - started)) s, qcow2 \(Self.seconds(ContinuousClock.now - filesystemDone)) s"
        )
    }

    private static func seconds(_ duration: Duration) -> String {
        String(format: "%.1f", Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18)
    }

    /// Removes a directory unless something is still mounted inside it (``ScratchRemoval``); logs what is left and why.
    /// mmdebstrap mounts only in a mount namespace of its own (``DebianRootTree/make(into:format:temporaryDirectory:logger:log:)``),
    /// so nothing can be mounted here; the check stays as the last guard against deleting a mounted /proc or /sys.
    /// - Parameter path: The tree.
    /// - Returns: Whether nothing is left at `path`.
    private func removeTree(_ path: String) -> Bool {
        guard let left = ScratchRemoval.remove(path) else { return true }
        logger.warning("left \(left)")
        return false
    }

    /// Mount points at or below `path` as this process sees them (``Reporting/MountTable``).
    /// - Parameter path: A directory.
    /// - Returns: The mount points.
    public static func mountPoints(under path: String) -> [String] {
        MountTable.mountPoints(under: path)
    }

    private func makeScratchDirectory() throws -> String {
        let base = workDirectory ?? FileManager.default.temporaryDirectory.path
        let path = base + "/labforge-bootstrap-" + UUID().uuidString
        do {
            // The root file system tar and the disk being assembled: owner only.
            try FileAccess.makePrivateDirectory(path)
        } catch {
            throw BasesError.cacheUnusable(path: base, reason: "\(error)")
        }
        return path
    }

    private func writeStagingFiles(to staging: String, rootUUID: String, architecture: Architecture) throws {
        let files = [
            "10-dhcp.network": DebianBootstrapFiles.dhcpNetwork,
            "90-labforge.cfg": DebianBootstrapFiles.cloudConfig,
            "10-hostkeys.conf": DebianBootstrapFiles.sshHostKeys,
            "50-labforge.cfg": DebianBootstrapFiles.grubDefaults(for: architecture),
            "boot.sh": DebianBootstrapFiles.bootLoaderScript(rootUUID: rootUUID, architecture: architecture),
            "customize.sh": DebianBootstrapFiles.customizeScript(staging: staging),
            "essential.sh": DebianBootstrapFiles.essentialScript,
        ]
        for (name, contents) in files {
            try contents.write(toFile: staging + "/" + name, atomically: true, encoding: .utf8)
        }
    }

    /// Copies the pinned `.deb`s into `staging/debs` and writes `staging/pinned.sh`, the hook that installs them.
    private func stagePinnedPackages(_ requests: [PackageRequest], files: [String: String], staging: String) throws {
        guard !requests.isEmpty else { return }
        let debs = staging + "/debs"
        try FileManager.default.createDirectory(atPath: debs, withIntermediateDirectories: true)
        for request in requests {
            guard let artifact = request.source.artifact else { continue }
            guard let file = files[artifact.sha256] else {
                throw BasesError.pinnedPackageMissing(package: request.name, file: artifact.fileName)
            }
            let target = debs + "/" + artifact.fileName
            if !FileManager.default.fileExists(atPath: target) { try FileManager.default.copyItem(atPath: file, toPath: target) }
        }
        try DebianBootstrapFiles.pinnedPackagesScript(requests, staging: staging)
            .write(toFile: staging + "/pinned.sh", atomically: true, encoding: .utf8)
    }

    /// The root tree stage of the disk: the base packages and the bootstrap's hooks (``DebianRootTree``).
    func rootTree(_ spec: DebianBootstrap, staging: String) -> DebianRootTree {
        // The pinned packages go in before labforge's own configuration, as in the appliance.
        let pinnedHooks = spec.pinnedPackages.isEmpty ? [] : ["sh '\(staging)/pinned.sh' \"$1\""]
        return DebianRootTree(
            suite: spec.suite, packages: DebianBootstrapFiles.basePackages(for: spec.architecture) + spec.extraPackages,
            essentialHooks: ["sh '\(staging)/essential.sh' \"$1\""],
            customizeHooks: pinnedHooks + ["sh '\(staging)/customize.sh' \"$1\"", "sh '\(staging)/boot.sh' \"$1\""],
            sources: sources(for: spec.suite), dpkgOptions: DebianBootstrapFiles.dpkgExcludes(for: spec.architecture),
            foreignArchitecture: ForeignArchitecture.isForeign(spec.architecture) ? spec.architecture : nil
        )
    }

    /// The mmdebstrap command line (without the program name).
    func mmdebstrapArguments(_ spec: DebianBootstrap, staging: String, output: String, format: String = "tar") -> [String] {
        rootTree(spec, staging: staging).arguments(output: output, format: format)
    }

    private func runMmdebstrap(
        _ spec: DebianBootstrap, staging: String, into output: String, format: String, log: (@Sendable (String) -> Void)?
    ) async throws {
        // mmdebstrap's own temp files (its gpg home, the chroot of tar mode) go inside our scratch directory, so a
        // killed mmdebstrap leaves nothing behind that the scratch's removal does not take with it.
        let temporary = URL(fileURLWithPath: staging).deletingLastPathComponent().appendingPathComponent("tmp").path
        try FileManager.default.createDirectory(atPath: temporary, withIntermediateDirectories: true)
        try await rootTree(spec, staging: staging).make(into: output, format: format, temporaryDirectory: temporary, logger: logger, log: log)
    }
}
