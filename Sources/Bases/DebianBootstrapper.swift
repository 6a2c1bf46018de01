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
    ///   - spec: Suite, extra packages, disk size, pinned packages.
    ///   - pinnedFiles: sha256 → verified host file of each pinned `.deb` in `spec.pinnedPackages`.
    ///   - output: Path of the qcow2 to write.
    ///   - progress: Receives `bootstrap` steps and `disk` bytes.
    /// - Throws: ``BasesError`` naming the failed tool or step.
    public func build(
        _ spec: DebianBootstrap, pinnedFiles: [String: String] = [:], output: String, progress: any ProgressReporter = SilentProgress()
    ) async throws {
        let subject = "debian-\(spec.suite)"
        let scratch = try makeScratchDirectory()
        // Registered so that an interrupt that cannot wait for this unwinding still removes it (gigabytes).
        Interruption.register(scratch)
        defer {
            // Left registered when it cannot be removed: the interrupted run's last line then names it and says why.
            if removeTree(scratch) { Interruption.unregister(scratch) }
        }
        let staging = scratch + "/staging"
        try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true)
        let layout = HostDiskLayout.make(
            sizeGiB: spec.diskSizeGiB, label: DebianBootstrapFiles.rootLabel, seed: "debian-\(spec.suite)",
            epoch: try SourceDateEpoch.current().map { Int($0.seconds) })
        try writeStagingFiles(to: staging, rootUUID: layout.uuid)
        try stagePinnedPackages(spec.pinnedPackages, files: pinnedFiles, staging: staging)

        // No fsync, as for every disk labforge writes (qemu-img does not flush; a base lost in a crash is bootstrapped again).
        try await AtomicFile.replace(output, sync: false) { temporary in
            Interruption.register(temporary)
            defer { Interruption.unregister(temporary) }
            try await buildOnHost(spec, layout: layout, scratch: scratch, staging: staging, output: temporary, subject: subject, progress: progress)
        }
        progress.report(ProgressEvent(subject: subject, stage: "bootstrap", detail: "done", completed: 3, total: 3, unit: .steps, finished: true))
    }

    /// mmdebstrap into a directory (with the boot hook's GRUB files), then the partitioned disk written on the host.
    private func buildOnHost(
        _ spec: DebianBootstrap, layout: HostDiskLayout, scratch: String, staging: String, output: String, subject: String, progress: any ProgressReporter
    ) async throws {
        progress.report(ProgressEvent(subject: subject, stage: "bootstrap", detail: "mmdebstrap \(spec.suite)", completed: 0, total: 3, unit: .steps))
        let rootTree = scratch + "/root"
        let started = ContinuousClock.now
        // Each of mmdebstrap's phases (download, the chroot's dpkg, the hooks) is a progress step of its own.
        let log = self.log
        let phases: @Sendable (String) -> Void = { line in
            log?(line)
            guard let phase = MmdebstrapPhase(line: line) else { return }
            progress.report(ProgressEvent(
                subject: subject, stage: "bootstrap", detail: "mmdebstrap \(spec.suite): \(phase.rawValue)", completed: 0, total: 3, unit: .steps))
        }
        try await runMmdebstrap(spec, staging: staging, into: rootTree, format: "directory", log: phases)
        let treeDone = ContinuousClock.now

        progress.report(ProgressEvent(
            subject: subject, stage: "bootstrap", detail: "GPT, EFI system partition, BIOS boot and ext4 on the host", completed: 1, total: 3, unit: .steps))
        let raw = scratch + "/disk.raw"
        try await layout.write(rootTree: rootTree, to: raw, scratch: staging, log: log)
        // The tree is no longer needed: free its ≈ 0.5 GiB before the qcow2 is written (what is left goes with the scratch).
        _ = removeTree(rootTree)
        let filesystemDone = ContinuousClock.now

        progress.report(ProgressEvent(subject: subject, stage: "bootstrap", detail: "qcow2", completed: 2, total: 3, unit: .steps))
        try await PackagedTool.qemuImg.run(["convert", "-q", "-f", "raw", "-O", "qcow2", raw, output])
        let converted = ContinuousClock.now
        logger.info(
            "bootstrap timings: mmdebstrap \(Self.seconds(treeDone - started)) s, partitions and file systems \(Self.seconds(filesystemDone - treeDone)) s, qcow2 \(Self.seconds(converted - filesystemDone)) s"
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

    private func writeStagingFiles(to staging: String, rootUUID: String) throws {
        let files = [
            "10-dhcp.network": DebianBootstrapFiles.dhcpNetwork,
            "90-labforge.cfg": DebianBootstrapFiles.cloudConfig,
            "10-hostkeys.conf": DebianBootstrapFiles.sshHostKeys,
            "50-labforge.cfg": DebianBootstrapFiles.grubDefaults,
            "boot.sh": DebianBootstrapFiles.bootLoaderScript(rootUUID: rootUUID),
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
            suite: spec.suite, packages: DebianBootstrapFiles.basePackages + spec.extraPackages,
            essentialHooks: ["sh '\(staging)/essential.sh' \"$1\""],
            customizeHooks: pinnedHooks + ["sh '\(staging)/customize.sh' \"$1\"", "sh '\(staging)/boot.sh' \"$1\""],
            sources: sources(for: spec.suite), dpkgOptions: DebianBootstrapFiles.dpkgExcludes
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
