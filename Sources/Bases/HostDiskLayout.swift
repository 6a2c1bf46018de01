// Writes the bootable raw disk from a root tree on the host, without a VM: GPT, BIOS boot, EFI system partition, ext4 root.
import Crypto
import Foundation
import LabforgeRecipe
import SourceDate

/// The bootstrapped disk's layout, made on the host. The same disk boots under UEFI with Secure Boot (what
/// KubeVirt's `debian` preference starts, with fresh NVRAM), plain UEFI and BIOS:
///
/// ```
/// sector 0      protective MBR, GRUB's boot.img in its 440 bytes of boot code (BIOS)
/// 1–2047        GPT header and entries
/// partition 14  2048–4095       BIOS boot: GRUB's i386-pc core.img (BIOS)
/// partition 15  4096–262143     EFI system partition, FAT32: /EFI/BOOT/BOOTX64.EFI = shim, grubx64.efi, mmx64.efi,
///                               /EFI/debian/grub.cfg → the root file system's /boot/grub/grub.cfg (UEFI)
/// partition 1   262144–end      ext4 root, label `rootfs`, /boot/grub/grub.cfg made by Debian's grub-mkconfig
/// ```
///
/// The numbers follow Debian's own cloud images (root first in the table, last on the disk, so cloud-init's growpart
/// can grow it). On arm64 (UEFI alone) the table has no BIOS boot partition, the ESP holds Debian's signed GRUB
/// for arm64 as `/EFI/BOOT/BOOTAA64.EFI`, and the root's type is "Linux root (ARM-64)"; the sectors are the same.
/// `sfdisk` writes the table, `mke2fs -d` the root straight from the tree at its offset, `mkfs.vfat
/// --offset` and mtools the EFI system partition in place: no loop device, no mount, no appliance.
struct HostDiskLayout: Sendable, Equatable {
    static let sectorSize: Int64 = 512
    /// The BIOS boot partition: where GRUB's core image lives on a GPT disk (1 MiB; the core is ≈ 30 KiB).
    static let biosBoot = PartitionPlacement(number: 14, startSector: 2048, sectors: 2048, type: "21686148-6449-6E6F-744E-656564454649", name: "bios")
    /// The EFI system partition (126 MiB, FAT32 with 512-byte clusters; ≈ 5 MiB used).
    static let efiSystem = PartitionPlacement(number: 15, startSector: 4096, sectors: 258_048, type: "C12A7328-F81F-11D2-BA4B-00A0C93EC93B", name: "esp")
    /// First sector of the root partition (128 MiB).
    static let rootStartSector: Int64 = 262_144
    /// The root partition's type on an architecture (``Architecture/discoverableRootType``).
    /// - Parameter architecture: The disk's architecture.
    /// - Returns: The GPT type GUID.
    static func rootType(for architecture: Architecture) -> String { architecture.discoverableRootType }
    /// The root partition's number (fstab and GRUB find it by label and UUID; the number is what `/dev/sda1` tools expect).
    static let rootPartitionNumber = 1

    /// Virtual size of the whole disk in bytes.
    var diskBytes: Int64
    /// Filesystem label (fstab and the kernel command line find the root by it).
    var label: String
    /// Root filesystem UUID, also used as the directory hash seed; GRUB finds the root by it.
    var uuid: String
    /// GPT disk GUID, fixed so the table is reproducible.
    var diskGUID: String
    /// Partition GUIDs (root, BIOS boot, EFI system), fixed likewise.
    var partitionGUIDs: [String]
    /// Volume ID of the EFI system partition (8 hex digits).
    var efiVolumeID: String
    /// Seconds since the epoch for every time mke2fs, mkfs.vfat and mtools stamp themselves; `nil` leaves the
    /// clock. File modification times come from the tree.
    var epoch: Int?
    /// The architecture booted: its root partition type, boot chain and whether there is a BIOS boot partition.
    var architecture: Architecture = .amd64

    /// Byte offset of the root partition in the disk.
    var partitionOffset: Int64 { Self.rootStartSector * Self.sectorSize }
    /// Sectors of the root partition: to the last usable sector (the backup GPT takes the disk's last 33).
    var partitionSectors: Int64 { diskBytes / Self.sectorSize - 34 - Self.rootStartSector + 1 }
    /// Size of the root filesystem in 4 KiB blocks (whole blocks of the partition).
    var filesystemBlocks: Int64 { partitionSectors * Self.sectorSize / 4096 }
    /// Byte offset of the EFI system partition.
    var efiSystemOffset: Int64 { Self.efiSystem.startSector * Self.sectorSize }

    /// The layout for a base of `sizeGiB`, with identifiers derived from `seed` and the epoch so the same inputs
    /// give the same UUIDs.
    /// - Parameters:
    ///   - sizeGiB: Virtual disk size.
    ///   - label: Filesystem label.
    ///   - seed: Stable text naming the base (e.g. its suite).
    ///   - epoch: `SOURCE_DATE_EPOCH`, if set.
    ///   - architecture: The disk's architecture.
    static func make(sizeGiB: Int, label: String, seed: String, epoch: Int?, architecture: Architecture = .amd64) -> HostDiskLayout {
        // A foreign architecture's tree is cached and its disk written later, by a build whose SOURCE_DATE_EPOCH may
        // differ from the bootstrap's: its identifiers (the root UUID the tree's grub.cfg names) come from the seed alone.
        let identityEpoch = architecture == .amd64 ? epoch : nil
        func derived(_ purpose: String) -> [UInt8] {
            Array(SHA256.hash(data: Data("labforge \(purpose)\u{0}\(seed)\u{0}\(identityEpoch.map(String.init) ?? "")".utf8)))
        }
        let digest = derived("rootfs")
        return HostDiskLayout(
            diskBytes: Int64(sizeGiB) << 30, label: label, uuid: uuidText(digest), diskGUID: uuidText(derived("gpt disk")),
            partitionGUIDs: ["root", "bios boot", "esp"].map { uuidText(derived("gpt partition \($0)")) },
            efiVolumeID: digest[16..<20].map { String(format: "%02x", $0) }.joined(), epoch: epoch, architecture: architecture)
    }

    /// The layout of a bootstrap's disk, from the bootstrap alone: the same identifiers (the root's UUID that the
    /// tree's `grub.cfg` names) whether the disk is written right after mmdebstrap or later from the extracted tree.
    /// The seed is `debian-<suite>` (amd64, as before) or `debian-<suite>-<architecture>`; the epoch is
    /// `SOURCE_DATE_EPOCH`'s (part of amd64's identifiers; only the tools' clock for another architecture, whose
    /// identifiers must not change between the bootstrap and the later disk).
    /// - Parameters:
    ///   - spec: The bootstrap.
    ///   - sizeGiB: Virtual disk size (the bootstrap's own by default); the UUIDs do not depend on it.
    /// - Returns: The layout.
    /// - Throws: ``SourceDateEpochError`` for a malformed `SOURCE_DATE_EPOCH`.
    static func make(for spec: DebianBootstrap, sizeGiB: Int? = nil) throws -> HostDiskLayout {
        let seed = spec.architecture == .amd64 ? "debian-\(spec.suite)" : "debian-\(spec.suite)-\(spec.architecture)"
        return make(
            sizeGiB: sizeGiB ?? spec.diskSizeGiB, label: DebianBootstrapFiles.rootLabel, seed: seed,
            epoch: try SourceDateEpoch.current().map { Int($0.seconds) }, architecture: spec.architecture)
    }

    /// Whether the disk has GRUB's BIOS boot partition and boot code (amd64 only).
    var hasBIOSBoot: Bool { architecture == .amd64 }

    /// A name-based (version 5 shape, RFC 4122 variant) UUID from the first 16 bytes of a digest.
    private static func uuidText(_ digest: [UInt8]) -> String {
        var bytes = Array(digest.prefix(16))
        bytes[6] = (bytes[6] & 0x0F) | 0x50
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        let hex = bytes.map { String(format: "%02x", $0) }.joined()
        return [hex.prefix(8), hex.dropFirst(8).prefix(4), hex.dropFirst(12).prefix(4), hex.dropFirst(16).prefix(4), hex.dropFirst(20)]
            .map(String.init).joined(separator: "-")
    }

    /// The `sfdisk` script for `disk`: a GPT with the root (1), BIOS boot (14, amd64 only) and EFI system (15) partitions.
    /// - Parameter disk: The path given to sfdisk (partition lines are named after it, which sets their numbers).
    func sfdiskScript(disk: String) -> String {
        let partitions = [
            (Self.rootPartitionNumber, Self.rootStartSector, partitionSectors, Self.rootType(for: architecture), partitionGUIDs[0], "root"),
            (Self.biosBoot.number, Self.biosBoot.startSector, Self.biosBoot.sectors, Self.biosBoot.type, partitionGUIDs[1], Self.biosBoot.name),
            (Self.efiSystem.number, Self.efiSystem.startSector, Self.efiSystem.sectors, Self.efiSystem.type, partitionGUIDs[2], Self.efiSystem.name),
        ].filter { hasBIOSBoot || $0.0 != Self.biosBoot.number }
        let lines = partitions.map { number, start, size, type, guid, name in
            // The ESP carries the no-auto attribute (bit 63): systemd-gpt-auto-generator in the guest leaves it unmounted.
            let attributes = number == Self.efiSystem.number ? ", attrs=\"GUID:63\"" : ""
            return "\(disk)\(number) : start=\(start), size=\(size), type=\(type), uuid=\(guid.uppercased()), name=\"\(name)\"\(attributes)"
        }
        return (["label: gpt", "label-id: \(diskGUID.uppercased())", "unit: sectors", "first-lba: 2048", ""] + lines + [""]).joined(separator: "\n")
    }

    /// The `mke2fs` arguments that write the filesystem from `rootTree` into `disk` at the partition's offset.
    /// - Parameters:
    ///   - rootTree: Host directory holding the root tree.
    ///   - disk: Raw disk file.
    func mke2fsArguments(rootTree: String, disk: String) -> [String] {
        [
            "-q", "-F", "-t", "ext4", "-b", "4096", "-L", label, "-U", uuid,
            "-E", "offset=\(partitionOffset),root_owner=0:0,hash_seed=\(uuid)",
            "-d", rootTree, disk, "\(filesystemBlocks)",
        ]
    }

    /// The `mkfs.vfat` arguments that make the EFI system partition's FAT32 in place (block count in KiB).
    /// - Parameter disk: Raw disk file.
    func mkfsVfatArguments(disk: String) -> [String] {
        [
            // --invariant: no clock in the volume label's entry (the volume ID is given).
            "--invariant", "-F", "32", "-s", "1", "-S", "512", "-n", "ESP", "-i", efiVolumeID,
            "--offset=\(Self.efiSystem.startSector)", disk, "\(Self.efiSystem.sectors / 2)",
        ]
    }

    /// The environment for the file system tools: a fixed clock when an epoch is given.
    var toolEnvironment: [String: String] {
        epoch.map { ["E2FSPROGS_FAKE_TIME": String($0), "SOURCE_DATE_EPOCH": String($0)] } ?? [:]
    }

    /// Writes the raw disk: sparse file, partition table, root filesystem from the tree, EFI system partition
    /// with the tree's shim and signed GRUB, and GRUB's BIOS boot code.
    /// - Parameters:
    ///   - rootTree: Host directory holding the root tree (read as root: it holds 0600 files), with the boot files
    ///     ``BootFiles`` names (the bootstrap's boot hook made them).
    ///   - disk: Raw disk file to create.
    ///   - scratch: A private directory for the tools' input files.
    ///   - log: Receives the tools' output.
    /// - Throws: ``BasesError/toolFailed(tool:arguments:status:output:)``, ``BasesError/bootFilesMissing(path:package:)``
    ///   and file errors.
    func write(rootTree: String, to disk: String, scratch: String, log: (@Sendable (String) -> Void)?) async throws {
        let boot = BootFiles(rootTree: rootTree, architecture: architecture)
        try boot.check()
        guard FileManager.default.createFile(atPath: disk, contents: nil), let handle = FileHandle(forWritingAtPath: disk) else {
            throw BasesError.cacheUnusable(path: disk, reason: "cannot create the raw disk")
        }
        try handle.truncate(atOffset: UInt64(diskBytes))
        try handle.close()
        let script = scratch + "/sfdisk.script"
        try sfdiskScript(disk: disk).write(toFile: script, atomically: false, encoding: .utf8)
        try await PackagedTool.sfdisk.run(["--quiet", "--no-reread", "--no-tell-kernel", disk], standardInput: script, output: log)
        try await PackagedTool.mke2fs.run(mke2fsArguments(rootTree: rootTree, disk: disk), environment: toolEnvironment, output: log)
        try await writeEFISystemPartition(boot, disk: disk, scratch: scratch, log: log)
        guard hasBIOSBoot else { return }
        try GrubPCBoot(bootImage: boot.biosBootImage, coreImage: boot.biosCoreImage)
            .install(into: disk, coreSector: Self.biosBoot.startSector, coreSectorsAvailable: Self.biosBoot.sectors)
    }

    /// FAT32 in the EFI system partition with the removable-media path firmware with fresh NVRAM boots from:
    /// `/EFI/BOOT/BOOTX64.EFI` (shim), the signed GRUB and MokManager beside it (arm64: `/EFI/BOOT/BOOTAA64.EFI`,
    /// the signed GRUB), and GRUB's config stub where the
    /// signed GRUB's built-in prefix (`/EFI/debian`) looks. The files are staged with one time (the epoch, else the
    /// shim's) and copied in one `mcopy -s -m`, so that the same tree gives the same partition bytes.
    private func writeEFISystemPartition(_ boot: BootFiles, disk: String, scratch: String, log: (@Sendable (String) -> Void)?) async throws {
        try await PackagedTool.mkfsVfat.run(mkfsVfatArguments(disk: disk), environment: toolEnvironment, output: log)
        let staging = scratch + "/esp"
        let files = FileManager.default
        try? files.removeItem(atPath: staging)
        for directory in ["/EFI/BOOT", "/EFI/debian"] { try files.createDirectory(atPath: staging + directory, withIntermediateDirectories: true) }
        let efiFiles = boot.efiFiles
        for (source, destination) in efiFiles {
            try files.copyItem(atPath: source, toPath: staging + destination)
        }
        try BootFiles.efiGrubStub(rootUUID: uuid).write(toFile: staging + BootFiles.efiGrubStubPath, atomically: false, encoding: .utf8)
        // The first loader's time stands for all (amd64: shim's, as before).
        let loaderTime = try files.attributesOfItem(atPath: efiFiles[0].source)[.modificationDate] as? Date
        let stamp = epoch.map { Date(timeIntervalSince1970: TimeInterval($0)) } ?? loaderTime ?? Date(timeIntervalSince1970: 0)
        for path in efiFiles.map(\.destination) + [BootFiles.efiGrubStubPath, "/EFI/BOOT", "/EFI/debian", "/EFI"] {
            try files.setAttributes([.modificationDate: stamp], ofItemAtPath: staging + path)
        }
        // No user mtools configuration, no geometry check (the partition is not a floppy); -m keeps the staged times.
        let environment = ["MTOOLS_SKIP_CHECK": "1", "MTOOLSRC": "/dev/null"]
        try await PackagedTool.mcopy.run(["-s", "-m", "-i", "\(disk)@@\(efiSystemOffset)", staging + "/EFI", "::/"], environment: environment, output: log)
    }
}

/// Where one fixed partition sits.
struct PartitionPlacement: Sendable, Equatable {
    /// Its number in the GPT.
    var number: Int
    /// First sector.
    var startSector: Int64
    /// Length in sectors.
    var sectors: Int64
    /// GPT partition type GUID.
    var type: String
    /// GPT partition name.
    var name: String
}
