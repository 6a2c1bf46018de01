// The arm64 bootstrap without running it: mmdebstrap's foreign-architecture arguments, the binfmt_misc check, the
// UEFI-only disk layout and ESP, the cache key, what the store hands over.
@testable import Bases
import Foundation
import LabforgeRecipe
import Testing
import TestSupport

@Suite("arm64 bootstrap")
struct Arm64BootstrapTests {
    let arm64 = DebianBootstrap(architecture: .arm64)

    @Test("arm64 runs mmdebstrap with --architectures=arm64 and --skip=check/qemu, arm64's kernel and signed GRUB, no BIOS GRUB or shim; amd64 is unchanged")
    func mmdebstrapArguments() {
        let bootstrapper = DebianBootstrapper()
        let arguments = bootstrapper.mmdebstrapArguments(arm64, staging: "/s", output: "/o.tar")
        #expect(Array(arguments.prefix(2)) == ["--architectures=arm64", "--skip=check/qemu"])
        let include = arguments.first { $0.hasPrefix("--include=") }?.dropFirst("--include=".count).split(separator: ",").map(String.init) ?? []
        #expect(Array(include.prefix(3)) == ["linux-image-cloud-arm64", "grub-efi-arm64-signed", "grub2-common"])
        #expect(!include.contains("grub-pc-bin") && !include.contains("shim-signed") && !include.contains { $0.contains("amd64") })
        #expect(include.contains("qemu-guest-agent") && include.contains("cloud-init") && include.contains("openssh-server"))
        #expect(arguments.contains("--dpkgopt=path-exclude=/usr/lib/grub/arm64-efi-signed/grubnet*"))
        #expect(arguments.contains("--format=tar"))

        let amd64 = bootstrapper.mmdebstrapArguments(DebianBootstrap(), staging: "/s", output: "/o.tar")
        #expect(!amd64.contains { $0.hasPrefix("--architectures") || $0 == "--skip=check/qemu" })
        #expect(amd64.first == "--variant=minbase")
        #expect(amd64.contains("--include=" + (DebianBootstrapFiles.basePackages).joined(separator: ",")))
    }

    @Test("arm64's GRUB settings put the console on the PL011 (ttyAMA0); amd64 keeps ttyS0; the arm64 boot hook makes grub.cfg and no BIOS core")
    func consoleAndBootHook() {
        let arm64Defaults = DebianBootstrapFiles.grubDefaults(for: .arm64)
        #expect(arm64Defaults.contains("GRUB_CMDLINE_LINUX=\"console=tty0 console=ttyAMA0,115200n8\""))
        #expect(!arm64Defaults.contains("ttyS0") && !arm64Defaults.contains("GRUB_SERIAL_COMMAND"))
        #expect(DebianBootstrapFiles.grubDefaults(for: .amd64) == DebianBootstrapFiles.grubDefaults)
        #expect(DebianBootstrapFiles.grubDefaults.contains("GRUB_CMDLINE_LINUX=\"console=tty0 console=ttyS0,115200n8\"\nGRUB_TERMINAL=\"console serial\"\nGRUB_SERIAL_COMMAND=\"serial --unit=0 --speed=115200\"\nGRUB_DISABLE_OS_PROBER=true\n"))
        let hook = DebianBootstrapFiles.bootLoaderScript(rootUUID: "u-u-i-d", architecture: .arm64)
        #expect(hook.contains("chroot \"$root\" grub-mkconfig -o /boot/grub/grub.cfg") && hook.contains("fs_uuid) echo \"u-u-i-d\""))
        #expect(!hook.contains("i386-pc"))
        let amd64Hook = DebianBootstrapFiles.bootLoaderScript(rootUUID: "u-u-i-d", architecture: .amd64)
        #expect(amd64Hook == DebianBootstrapFiles.bootLoaderScript(rootUUID: "u-u-i-d") && amd64Hook.hasPrefix(hook) && amd64Hook.contains("grub-mkimage -O i386-pc"))
    }

    @Test("the cache key names the architecture for arm64 only: amd64's revision and key shape are what they were")
    func cacheKeys() throws {
        #expect(DebianBootstrapFiles.revision(for: .amd64) == DebianBootstrapFiles.revision)
        #expect(DebianBootstrapFiles.revision(for: .arm64) != DebianBootstrapFiles.revision)
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = BaseImageStore(cache: CacheDirectory(root: directory.path), toolVersion: "1")
        let amd64Key = store.cacheKey(for: DebianBootstrap(), archive: nil)
        let arm64Key = store.cacheKey(for: arm64, archive: nil)
        #expect(amd64Key.wholeMatch(of: /debian-trixie-[0-9a-f]{16}/) != nil)
        #expect(arm64Key.wholeMatch(of: /debian-trixie-arm64-[0-9a-f]{16}/) != nil)
        #expect(arm64Key.suffix(16) != amd64Key.suffix(16))
        // The arm64 entry is a tar beside the disks; amd64's is the qcow2 it always was.
        #expect(store.cachedPath(for: .debianBootstrap(arm64)) == directory.path + "/bases/images/\(arm64Key).tar")
        #expect(store.cachedPath(for: .debianBootstrap(DebianBootstrap())) == directory.path + "/bases/images/\(amd64Key).qcow2")
        #expect(BaseImageStore.content(of: arm64) == .rootTreeArchive && BaseImageStore.content(of: DebianBootstrap()) == .disk)
    }

    @Test("the arm64 GPT has the ESP (15) and an ARM-64 root (1), no BIOS boot partition; the ESP holds GRUB as BOOTAA64.EFI")
    func partitionTableAndESP() throws {
        let layout = try HostDiskLayout.make(for: arm64)
        let script = layout.sfdiskScript(disk: "/d")
        #expect(script.contains("/d1 : start=262144, size=\(layout.partitionSectors), type=B921B045-1DF0-41C3-AF44-4C6F280D3FAE"))
        #expect(script.contains("/d15 : start=4096, size=258048, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B"))
        #expect(!script.contains("/d14 ") && !script.contains("21686148-6449-6E6F-744E-656564454649"))
        #expect(!layout.hasBIOSBoot)
        let amd64Script = try HostDiskLayout.make(for: DebianBootstrap()).sfdiskScript(disk: "/d")
        #expect(amd64Script.contains("type=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709") && amd64Script.contains("/d14 : start=2048"))

        let files = BootFiles(rootTree: "/t", architecture: .arm64).efiFiles
        #expect(files.map(\.source) == ["/t/usr/lib/grub/arm64-efi-signed/grubaa64.efi.signed"])
        #expect(files.map(\.destination) == ["/EFI/BOOT/BOOTAA64.EFI"])
        #expect(BootFiles(rootTree: "/t").efiFiles.map(\.destination) == ["/EFI/BOOT/BOOTX64.EFI", "/EFI/BOOT/grubx64.efi", "/EFI/BOOT/mmx64.efi"])
        #expect(BootFiles.efiGrubStubPath == "/EFI/debian/grub.cfg")
        // A tree without arm64's GRUB names the package it comes from.
        #expect {
            try BootFiles(rootTree: "/nonexistent", architecture: .arm64).check()
        } throws: { "\($0)".contains("/usr/lib/grub/arm64-efi-signed/grubaa64.efi.signed") && "\($0)".contains("grub-efi-arm64-signed") }
    }

    @Test("the layout comes from the bootstrap alone: the same UUIDs at any size, arm64's not amd64's, amd64's from the seed it always had")
    func layoutFromSpec() throws {
        let small = try HostDiskLayout.make(for: arm64)
        let large = try HostDiskLayout.make(for: arm64, sizeGiB: 20)
        #expect(small.uuid == large.uuid && small.diskGUID == large.diskGUID && large.diskBytes == 20 << 30)
        let amd64 = try HostDiskLayout.make(for: DebianBootstrap())
        #expect(amd64.uuid != small.uuid)
        #expect(amd64 == HostDiskLayout.make(sizeGiB: 4, label: "rootfs", seed: "debian-trixie", epoch: amd64.epoch))
        // arm64's tree is cached and its disk written by a later build, maybe under another SOURCE_DATE_EPOCH: the root
        // UUID its grub.cfg names must not move (a build with an epoch once booted to "UUID=… does not exist").
        let bootstrapped = HostDiskLayout.make(sizeGiB: 4, label: "rootfs", seed: "debian-trixie-arm64", epoch: nil, architecture: .arm64)
        let later = HostDiskLayout.make(sizeGiB: 4, label: "rootfs", seed: "debian-trixie-arm64", epoch: 1_764_115_200, architecture: .arm64)
        #expect(bootstrapped.uuid == later.uuid && bootstrapped.diskGUID == later.diskGUID && bootstrapped.efiVolumeID == later.efiVolumeID)
        #expect(later.epoch == 1_764_115_200, "the epoch still sets the tools' clock")
        #expect(HostDiskLayout.make(sizeGiB: 4, label: "rootfs", seed: "debian-trixie", epoch: 1_764_115_200).uuid
            != HostDiskLayout.make(sizeGiB: 4, label: "rootfs", seed: "debian-trixie", epoch: nil).uuid, "amd64's identifiers as before")
    }

    @Test("a disk smaller than the bootstrap's is refused before anything is written")
    func diskTooSmall() async throws {
        await #expect {
            try await DebianBootstrapper().writeDisk(rootTree: "/nonexistent", spec: arm64, sizeGiB: 2, output: "/nonexistent/disk.qcow2", log: nil)
        } throws: { "\($0)".contains("2 GiB") && "\($0)".contains("at least 4 GiB") }
    }

    @Test("the archive is unpacked by GNU tar with numeric owners, permissions and extended attributes")
    func extractArguments() {
        let arguments = DebianBootstrapper.extractArguments(archive: "/a.tar", into: "/t")
        for flag in ["--numeric-owner", "--same-owner", "--preserve-permissions", "--xattrs", "--xattrs-include=*"] { #expect(arguments.contains(flag)) }
        #expect(Array(arguments.prefix(5)) == ["--extract", "--file", "/a.tar", "--directory", "/t"])
    }

    @Test("the grub-probe stand-in answers for the disk writeDisk makes (the layout's UUID, ext2, GPT) and gives the tree's own binary back")
    func grubProbeStandIn() async throws {
        let tree = try TemporaryDirectory(prefix: "labforge-probe")
        defer { tree.remove() }
        try FileManager.default.createDirectory(atPath: tree.appending("usr/sbin"), withIntermediateDirectories: true)
        let real = Data([0x7F, 0x45, 0x4C, 0x46, 1, 2, 3])
        #expect(FileManager.default.createFile(atPath: tree.appending("usr/sbin/grub-probe"), contents: real))
        let standIn = try GrubProbeStandIn.install(in: tree.path, spec: arm64)
        // Installing twice (a run that did not remove it) keeps the real binary.
        _ = try GrubProbeStandIn.install(in: tree.path, spec: arm64)
        let uuid = try HostDiskLayout.make(for: arm64).uuid
        for (target, answer) in [("fs_uuid", uuid), ("device", "UUID=\(uuid)"), ("fs", "ext2"), ("partmap", "gpt")] {
            let result = try await Command.run(["sh", tree.appending("usr/sbin/grub-probe"), "--target=\(target)", "/"])
            #expect(result.status == 0 && result.stdout == answer + "\n", "\(target): \(result.stdout)")
        }
        #expect(try await Command.run(["sh", tree.appending("usr/sbin/grub-probe"), "--target=cryptodisk_uuid", "/"]).status != 0)
        // The bootstrap's boot hook runs the same stand-in.
        #expect(DebianBootstrapFiles.bootLoaderScript(rootUUID: uuid, architecture: .arm64).contains(GrubProbeStandIn.script(rootUUID: uuid) + "PROBE\n"))
        try standIn.remove()
        #expect(FileManager.default.contents(atPath: tree.appending("usr/sbin/grub-probe")) == real)
        #expect(!FileManager.default.fileExists(atPath: tree.appending("usr/sbin/grub-probe.labforge-real")))
        #expect { _ = try GrubProbeStandIn.install(in: "/nonexistent", spec: arm64) } throws: { "\($0)".contains("grub-common") }
    }

    @Test("a resolved root tree archive says so, and keeps it through JSON; a base is a disk unless told")
    func resolvedBaseContent() throws {
        #expect(ResolvedBase(path: "/b.qcow2", format: .qcow2, identity: "i", wasCached: true).content == .disk)
        let tree = ResolvedBase(path: "/b.tar", format: .raw, identity: "i", wasCached: false, content: .rootTreeArchive)
        #expect(try JSONDecoder().decode(ResolvedBase.self, from: JSONEncoder().encode(tree)) == tree)
    }
}

/// What binfmt_misc says decides whether a foreign bootstrap may start. A handler that is missing, disabled or
/// without the F flag cannot be made on a test host without breaking the machine's own, so these tests point the
/// check at a fake binfmt_misc directory of their own (the one fault here that is faked).
@Suite("binfmt_misc check")
struct BinfmtCheckTests {
    func check(_ files: [String: String]) throws -> String? {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        for (name, text) in files { try text.write(toFile: directory.appending(name), atomically: true, encoding: .utf8) }
        do {
            try ForeignArchitecture.check(.arm64, binfmtDirectory: directory.path)
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test("not mounted, no handler, disabled, no F flag: one line naming what is missing and how to enable it")
    func faults() throws {
        let handler = "interpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P\noffset 0\n"
        let notMounted = try #require(try check([:]))
        #expect(notMounted.contains("binfmt_misc is not mounted"))
        #expect(notMounted.contains("apt-get install qemu-user-static binfmt-support"))
        #expect(notMounted.contains("mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc"))
        #expect(notMounted.contains("update-binfmts --enable qemu-aarch64") && notMounted.contains("make deps"))
        #expect(!notMounted.contains("\n"))
        #expect(try check(["status": "enabled\n"])?.contains("no binfmt_misc handler") == true)
        #expect(try check(["status": "enabled\n", "qemu-aarch64": "disabled\n" + handler + "flags: PF\n"])?.contains("is disabled") == true)
        #expect(try check(["status": "enabled\n", "qemu-aarch64": "enabled\n" + handler + "flags: P\n"])?.contains("lacks the F flag") == true)
        #expect(try check(["status": "enabled\n", "qemu-aarch64": "enabled\n" + handler + "flags: PF\n"]) == nil)
    }

    @Test("this host runs arm64 programs where binfmt_misc is mounted (make deps enables the handler); its own architecture needs no check")
    func realHost() throws {
        #expect(ForeignArchitecture.host == .amd64)
        if FileManager.default.fileExists(atPath: ForeignArchitecture.binfmtDirectory + "/status") { try ForeignArchitecture.check(.arm64) }
        try ForeignArchitecture.check(.amd64, binfmtDirectory: "/nonexistent")
    }
}
