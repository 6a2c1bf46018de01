// Builds a bootable Debian qcow2 from the Debian mirror alone: mmdebstrap, sfdisk, mke2fs and extlinux on the host (libguestfs where the host cannot).
import DiskImage
import Foundation
import Guestfs
import LabforgeRecipe
import Logging
import Reporting
#if canImport(Glibc)
import Glibc
#endif

/// Where the bootstrapped disk's partition table and filesystem are made.
public enum DiskAssembly: String, Sendable, CaseIterable {
    /// On the host: mmdebstrap into a directory, `sfdisk` + `mke2fs -d` into a raw disk; the appliance
    /// only installs EXTLINUX. Needs root (the tree holds files only root can read).
    case host
    /// In the libguestfs appliance: mmdebstrap into a tarball, partition, mkfs, unpack and EXTLINUX there
    /// (≈ 55 s more under TCG). Used when the host path cannot run.
    case appliance

    /// The assembly this process can use: `LABFORGE_BOOTSTRAP_ASSEMBLY` when set, else ``host`` when
    /// running as root with `mke2fs` and `sfdisk` installed, else ``appliance``.
    public static var automatic: DiskAssembly {
        if let forced = ProcessInfo.processInfo.environment["LABFORGE_BOOTSTRAP_ASSEMBLY"].flatMap(DiskAssembly.init(rawValue:)) {
            return forced
        }
        let toolsPresent = (try? ExternalTool.mke2fs.executable()) != nil && (try? ExternalTool.sfdisk.executable()) != nil
        return geteuid() == 0 && toolsPresent ? .host : .appliance
    }
}

/// Turns a ``DebianBootstrap`` description into a bootable disk: MBR, one ext4 partition labelled
/// `rootfs`, EXTLINUX (SeaBIOS and KubeVirt's default BIOS firmware), serial console, DHCP on the
/// first NIC, cloud-init, qemu-guest-agent and openssh-server.
public struct DebianBootstrapper: Sendable {
    /// Debian archive, e.g. `http://deb.debian.org/debian`.
    public var mirror: String
    /// Debian security archive.
    public var securityMirror: String
    /// Where the partial work (root tree or tarball, staging files, raw disk) goes; the system temp dir by default.
    public var workDirectory: String?
    /// Where the filesystem is made; ``DiskAssembly/automatic`` by default.
    public var assembly: DiskAssembly
    /// Whether the host's `extlinux` may install the boot loader through a loop mount (when this process can
    /// mount); `false` — or `LABFORGE_EXTLINUX=appliance` — uses the short appliance run instead.
    public var bootLoaderOnHost = ProcessInfo.processInfo.environment["LABFORGE_EXTLINUX"] != "appliance"
    /// Receives mmdebstrap's and the appliance's output (the build log).
    public var log: (@Sendable (String) -> Void)?
    private let logger: Logger

    /// Creates a bootstrapper.
    /// - Parameters:
    ///   - mirror: Debian archive URL.
    ///   - securityMirror: Debian security archive URL.
    ///   - workDirectory: Scratch directory (needs ≈ 1.5 GiB); the system temp dir when `nil`.
    ///   - assembly: Host or appliance; ``DiskAssembly/automatic`` when `nil`.
    ///   - logger: Logger for step lines.
    ///   - log: Receives tool output.
    public init(
        mirror: String = "http://deb.debian.org/debian", securityMirror: String = "http://deb.debian.org/debian-security",
        workDirectory: String? = nil, assembly: DiskAssembly? = nil, logger: Logger = Logger(label: "labforge.bases"),
        log: (@Sendable (String) -> Void)? = nil
    ) {
        self.mirror = mirror
        self.securityMirror = securityMirror
        self.workDirectory = workDirectory
        self.assembly = assembly ?? .automatic
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
            removeTree(scratch)
            Interruption.unregister(scratch)
        }
        let staging = scratch + "/staging"
        try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true)
        try writeStagingFiles(to: staging)
        try stagePinnedPackages(spec.pinnedPackages, files: pinnedFiles, staging: staging)

        let outputURL = URL(fileURLWithPath: output)
        let temporary = outputURL.deletingLastPathComponent().appendingPathComponent(".\(outputURL.lastPathComponent).\(UUID().uuidString).partial").path
        Interruption.register(temporary)
        defer { Interruption.unregister(temporary) }
        do {
            switch assembly {
            case .host:
                try await buildOnHost(spec, scratch: scratch, staging: staging, output: temporary, subject: subject, progress: progress)
            case .appliance:
                try await buildInAppliance(spec, scratch: scratch, staging: staging, output: temporary, subject: subject, progress: progress)
            }
            if FileManager.default.fileExists(atPath: output) { try FileManager.default.removeItem(atPath: output) }
            try FileManager.default.moveItem(atPath: temporary, toPath: output)
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
        progress.report(ProgressEvent(subject: subject, stage: "bootstrap", detail: "done", completed: 3, total: 3, unit: .steps, finished: true))
    }

    /// mmdebstrap into a directory, partition table and ext4 written on the host, EXTLINUX in a short appliance run.
    private func buildOnHost(
        _ spec: DebianBootstrap, scratch: String, staging: String, output: String, subject: String, progress: any ProgressReporter
    ) async throws {
        progress.report(ProgressEvent(subject: subject, stage: "bootstrap", detail: "mmdebstrap \(spec.suite)", completed: 0, total: 3, unit: .steps))
        let rootTree = scratch + "/root"
        let started = ContinuousClock.now
        try await runMmdebstrap(spec, staging: staging, into: rootTree, format: "directory")
        let extlinuxDirectory = rootTree + "/boot/extlinux"
        try FileManager.default.createDirectory(atPath: extlinuxDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        try DebianBootstrapFiles.extlinuxConfig.write(toFile: extlinuxDirectory + "/extlinux.conf", atomically: false, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: extlinuxDirectory + "/extlinux.conf")
        let treeDone = ContinuousClock.now

        progress.report(ProgressEvent(subject: subject, stage: "bootstrap", detail: "partition and ext4 on the host", completed: 1, total: 3, unit: .steps))
        let raw = scratch + "/disk.raw"
        let layout = HostDiskLayout.make(
            sizeGiB: spec.diskSizeGiB, label: DebianBootstrapFiles.rootLabel, seed: "debian-\(spec.suite)", epoch: Self.sourceDateEpoch
        )
        try await layout.write(rootTree: rootTree, to: raw, bootCode: Self.mbrBootCode, log: log)
        // The tree is no longer needed: free its ≈ 0.5 GiB before the qcow2 is written.
        removeTree(rootTree)
        let filesystemDone = ContinuousClock.now

        progress.report(ProgressEvent(subject: subject, stage: "bootstrap", detail: "EXTLINUX", completed: 2, total: 3, unit: .steps))
        var bootLoaderWhere = "host, loop mount"
        if !(try await installBootLoaderOnHost(raw: raw, scratch: scratch, offset: layout.partitionOffset)) {
            bootLoaderWhere = "appliance"
            try await installBootLoader(raw: raw)
        }
        let bootLoaderDone = ContinuousClock.now
        try await ExternalTool.qemuImg.run(["convert", "-q", "-f", "raw", "-O", "qcow2", raw, output])
        let converted = ContinuousClock.now
        logger.info(
            "bootstrap timings: mmdebstrap \(Self.seconds(treeDone - started)) s, sfdisk + mke2fs \(Self.seconds(filesystemDone - treeDone)) s, EXTLINUX (\(bootLoaderWhere)) \(Self.seconds(bootLoaderDone - filesystemDone)) s, qcow2 \(Self.seconds(converted - bootLoaderDone)) s"
        )
    }

    /// The earlier path, for hosts where the one above cannot run: mmdebstrap into a tarball, everything else in the appliance.
    private func buildInAppliance(
        _ spec: DebianBootstrap, scratch: String, staging: String, output: String, subject: String, progress: any ProgressReporter
    ) async throws {
        progress.report(ProgressEvent(subject: subject, stage: "bootstrap", detail: "mmdebstrap \(spec.suite)", completed: 0, total: 3, unit: .steps))
        let rootTar = scratch + "/rootfs.tar"
        try await runMmdebstrap(spec, staging: staging, into: rootTar, format: "tar")
        progress.report(ProgressEvent(subject: subject, stage: "bootstrap", detail: "partition, format, unpack, bootloader", completed: 1, total: 3, unit: .steps))
        try await ExternalTool.qemuImg.run(["create", "-q", "-f", "qcow2", output, "\(spec.diskSizeGiB)G"])
        try await assembleDisk(output, rootTar: rootTar, staging: staging, subject: subject, progress: progress)
    }

    private static func seconds(_ duration: Duration) -> String {
        String(format: "%.1f", Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18)
    }

    /// `SOURCE_DATE_EPOCH` when the caller pins one.
    static var sourceDateEpoch: Int? {
        ProcessInfo.processInfo.environment["SOURCE_DATE_EPOCH"].flatMap { Int($0) }
    }

    /// Removes a directory unless something is still mounted inside it: a root tree with a bind-mounted
    /// /dev or /proc left by a killed mmdebstrap, or our loop mount, must never be deleted recursively.
    private func removeTree(_ path: String) {
        let mounts = Self.mountPoints(under: path)
        guard mounts.isEmpty else {
            logger.warning("not removing \(path): still mounted inside it: \(mounts.joined(separator: ", ")); unmount them and remove it by hand")
            return
        }
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Mount points at or below `path`, from /proc/self/mounts (octal escapes as the kernel writes them).
    public static func mountPoints(under path: String) -> [String] {
        guard let table = try? String(contentsOfFile: "/proc/self/mounts", encoding: .utf8) else { return [] }
        let prefix = path.hasSuffix("/") ? path : path + "/"
        return table.split(separator: "\n").compactMap { line -> String? in
            let fields = line.split(separator: " ")
            guard fields.count > 1 else { return nil }
            let point = String(fields[1]).replacingOccurrences(of: "\\040", with: " ")
            return point == path || point.hasPrefix(prefix) ? point : nil
        }
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

    private func writeStagingFiles(to staging: String) throws {
        let files = [
            "10-dhcp.network": DebianBootstrapFiles.dhcpNetwork,
            "90-labforge.cfg": DebianBootstrapFiles.cloudConfig,
            "10-hostkeys.conf": DebianBootstrapFiles.sshHostKeys,
            "extlinux.conf": DebianBootstrapFiles.extlinuxConfig,
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
            essentialHooks: ["sh '\(staging)/essential.sh' \"$1\""], customizeHooks: pinnedHooks + ["sh '\(staging)/customize.sh' \"$1\""],
            sources: sources(for: spec.suite)
        )
    }

    /// The mmdebstrap command line (without the program name).
    func mmdebstrapArguments(_ spec: DebianBootstrap, staging: String, output: String, format: String = "tar") -> [String] {
        rootTree(spec, staging: staging).arguments(output: output, format: format)
    }

    private func runMmdebstrap(_ spec: DebianBootstrap, staging: String, into output: String, format: String) async throws {
        // mmdebstrap's own temp files (its gpg home, the chroot of tar mode) go inside our scratch directory, so a
        // killed mmdebstrap leaves nothing behind that the scratch's removal does not take with it.
        let temporary = URL(fileURLWithPath: staging).deletingLastPathComponent().appendingPathComponent("tmp").path
        try FileManager.default.createDirectory(atPath: temporary, withIntermediateDirectories: true)
        try await rootTree(spec, staging: staging).make(into: output, format: format, temporaryDirectory: temporary, logger: logger, log: log)
    }

    private func assembleDisk(_ disk: String, rootTar: String, staging: String, subject: String, progress: any ProgressReporter) async throws {
        let tarSize = (try? FileManager.default.attributesOfItem(atPath: rootTar)[.size] as? NSNumber)?.int64Value
        try await withAppliance(disk: disk, format: .qcow2, memoryMiB: 1024, cpus: 2) { appliance, step in
            step = "partition"
            try appliance.createPartitionTable(on: "/dev/sda", type: .mbr)
            try appliance.addPrimaryPartition(on: "/dev/sda", startSector: 2048, endSector: -1)
            try appliance.setBootable(on: "/dev/sda", partition: 1, true)
            step = "mkfs ext4"
            try appliance.makeFilesystem("ext4", on: "/dev/sda1", label: DebianBootstrapFiles.rootLabel)
            try appliance.mount("/dev/sda1", at: "/")
            step = "unpack root tree"
            appliance.onProgress { done, total in
                progress.report(ProgressEvent(subject: subject, stage: "disk", detail: "unpack", completed: Int64(done), total: tarSize ?? Int64(total)))
            }
            try appliance.unpackTar(rootTar, into: "/", xattrs: true, acls: true)
            appliance.onProgress(nil)
            step = "install EXTLINUX"
            try appliance.makeDirectories("/boot/extlinux")
            try appliance.upload(staging + "/extlinux.conf", to: "/boot/extlinux/extlinux.conf")
            try appliance.installExtlinux(in: "/boot/extlinux")
            // 440 bytes of MBR boot code; the partition table after it is left alone.
            try appliance.upload(Self.mbrBootCode, to: "/dev/sda")
            step = "trim"
            try appliance.trim("/")
        }
    }

    /// Runs `body` in one appliance with `disk` attached read-write, off the cooperative pool; `body` names
    /// the step it is at, so that a libguestfs error says where the assembly failed.
    private func withAppliance(
        disk: String, format: Drive.Format, memoryMiB: Int32, cpus: Int32, _ body: @escaping @Sendable (Appliance, inout String) throws -> Void
    ) async throws {
        let log = self.log
        try await DedicatedThread.run(name: "labforge.bootstrap") {
            let appliance = try Appliance(settings: ApplianceSettings(memoryMiB: memoryMiB, cpus: cpus), applianceOutput: log)
            var step = "add drive"
            do {
                try appliance.add(Drive(path: disk, format: format, readOnly: false))
                step = "launch appliance"
                try appliance.launch()
                try body(appliance, &step)
                try appliance.unmountAll()
                step = "shutdown"
                try appliance.shutdown()
            } catch let error as GuestfsError {
                throw BasesError.diskAssembly(step: step, reason: error.description)
            }
        }
    }

    /// Installs EXTLINUX with the host's `extlinux` through a loop mount of the partition: about a second
    /// instead of an appliance start. Only where this process may mount (root, loop devices: not in most
    /// containers) and unless `LABFORGE_EXTLINUX=appliance`.
    /// - Returns: Whether it was installed; `false` sends the caller to the appliance.
    /// - Throws: ``BasesError/toolFailed(tool:arguments:status:output:)`` only when the mount cannot be undone.
    private func installBootLoaderOnHost(raw: String, scratch: String, offset: Int64) async throws -> Bool {
        guard bootLoaderOnHost, geteuid() == 0,
              (try? ExternalTool.extlinux.executable()) != nil, (try? ExternalTool.mount.executable()) != nil
        else { return false }
        let mountPoint = scratch + "/mnt"
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        do {
            try await ExternalTool.mount.run(["-t", "ext4", "-o", "loop,offset=\(offset),nodev,nosuid,noexec", raw, mountPoint], output: log)
        } catch {
            logger.info("no loop mount here (\(Self.firstLine(error))); EXTLINUX goes in through the appliance")
            return false
        }
        var installed = false
        do {
            try await ExternalTool.extlinux.run(["--install", mountPoint + "/boot/extlinux"], output: log)
            installed = true
        } catch {
            logger.warning("extlinux on the host failed (\(Self.firstLine(error))); trying the appliance")
        }
        // Unmounting also detaches the loop device (mount set it up with autoclear).
        try await ExternalTool.umount.run([mountPoint], output: log)
        return installed
    }

    private static func firstLine(_ error: any Error) -> String {
        String(describing: error).split(separator: "\n").first.map(String.init) ?? ""
    }

    /// Installs EXTLINUX into the host-made filesystem: the one step that needs it mounted. One short
    /// appliance run (no loop devices needed on the host); the MBR boot code is already on the disk.
    private func installBootLoader(raw: String) async throws {
        try await withAppliance(disk: raw, format: .raw, memoryMiB: 512, cpus: 1) { appliance, step in
            step = "install EXTLINUX"
            try appliance.mount("/dev/sda1", at: "/")
            try appliance.installExtlinux(in: "/boot/extlinux")
        }
    }

    /// EXTLINUX's MBR boot code from the host's syslinux (package `extlinux`/`syslinux-common`).
    static var mbrBootCode: String {
        for candidate in ["/usr/lib/EXTLINUX/mbr.bin", "/usr/lib/syslinux/mbr/mbr.bin", "/usr/share/syslinux/mbr.bin"]
        where FileManager.default.fileExists(atPath: candidate) {
            return candidate
        }
        return "/usr/lib/EXTLINUX/mbr.bin"
    }
}
