// The host-made disk layout: GPT, ESP, GRUB's BIOS images and ext4 from a small tree, read back with sfdisk, mtools, e2fsck and debugfs.
@testable import Bases
import Foundation
import Testing
import TestSupport

@Suite("host disk layout")
struct HostDiskLayoutTests {
    @Test("identifiers are derived from the seed and SOURCE_DATE_EPOCH; GPT with BIOS boot 14, ESP 15 and the root 1 to the disk's end")
    func layoutArithmetic() {
        let layout = HostDiskLayout.make(sizeGiB: 4, label: "rootfs", seed: "debian-trixie", epoch: 1_700_000_000)
        #expect(layout == HostDiskLayout.make(sizeGiB: 4, label: "rootfs", seed: "debian-trixie", epoch: 1_700_000_000))
        #expect(layout.uuid != HostDiskLayout.make(sizeGiB: 4, label: "rootfs", seed: "debian-trixie", epoch: nil).uuid)
        #expect(layout.uuid != HostDiskLayout.make(sizeGiB: 4, label: "rootfs", seed: "debian-bookworm", epoch: 1_700_000_000).uuid)
        let uuidShape = "^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"
        for uuid in [layout.uuid, layout.diskGUID] + layout.partitionGUIDs {
            #expect(uuid.range(of: uuidShape, options: .regularExpression) != nil, "\(uuid)")
        }
        #expect(Set([layout.uuid, layout.diskGUID] + layout.partitionGUIDs).count == 5, "every identifier is its own")
        #expect(layout.efiVolumeID.count == 8)
        #expect(layout.partitionOffset == 128 << 20)
        // The root ends before the backup GPT (the last 33 sectors).
        #expect(layout.partitionSectors == (4 << 30) / 512 - 34 - 262_144 + 1)
        #expect(layout.filesystemBlocks * 4096 <= layout.partitionSectors * 512)
        let script = layout.sfdiskScript(disk: "/w/d.raw")
        #expect(script.contains("label: gpt"))
        #expect(script.contains("/w/d.raw1 : start=262144, size=\(layout.partitionSectors), type=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709"))
        #expect(script.contains("/w/d.raw14 : start=2048, size=2048, type=21686148-6449-6E6F-744E-656564454649"))
        #expect(script.contains("/w/d.raw15 : start=4096, size=258048, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B"))
        #expect(layout.toolEnvironment == ["E2FSPROGS_FAKE_TIME": "1700000000", "SOURCE_DATE_EPOCH": "1700000000"])
        #expect(HostDiskLayout.make(sizeGiB: 4, label: "rootfs", seed: "x", epoch: nil).toolEnvironment.isEmpty)
    }

    /// A tree with the boot chain's files: stand-ins for shim and the signed GRUB, GRUB-shaped i386-pc images.
    func makeTree(in work: TemporaryDirectory) throws -> String {
        let tree = work.appending("root")
        for directory in ["/etc", "/usr/lib/shim", "/usr/lib/grub/x86_64-efi-signed", "/boot/grub/i386-pc"] {
            try FileManager.default.createDirectory(atPath: tree + directory, withIntermediateDirectories: true)
        }
        try "hello from the host\n".write(toFile: tree + "/etc/hello", atomically: true, encoding: .utf8)
        try "secret\n".write(toFile: tree + "/etc/shadow", atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: tree + "/etc/shadow")
        try FileManager.default.createSymbolicLink(atPath: tree + "/vmlinuz", withDestinationPath: "boot/vmlinuz-test")
        try "shim\n".write(toFile: tree + "/usr/lib/shim/shimx64.efi.signed", atomically: true, encoding: .utf8)
        try "mokmanager\n".write(toFile: tree + "/usr/lib/shim/mmx64.efi.signed", atomically: true, encoding: .utf8)
        try "signed grub\n".write(toFile: tree + "/usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed", atomically: true, encoding: .utf8)
        try "menuentry 'Debian GNU/Linux' {}\n".write(toFile: tree + "/boot/grub/grub.cfg", atomically: true, encoding: .utf8)
        var boot = [UInt8](repeating: 0xB0, count: 512)
        boot[0x66] = 0xEB
        boot[510] = 0x55
        boot[511] = 0xAA
        try Data(boot).write(to: URL(fileURLWithPath: tree + "/boot/grub/i386-pc/boot.img"))
        // Three sectors less 100 bytes, with grub-mkimage's default block list: the rest from sector 2, two sectors.
        var core = [UInt8](repeating: 0xC0, count: 3 * 512 - 100)
        GrubPCBoot.store(2, in: &core, at: GrubPCBoot.blockListOffset, bytes: 8)
        GrubPCBoot.store(2, in: &core, at: GrubPCBoot.blockListOffset + 8, bytes: 2)
        GrubPCBoot.store(0x820, in: &core, at: GrubPCBoot.blockListOffset + 10, bytes: 2)
        try Data(core).write(to: URL(fileURLWithPath: tree + "/boot/grub/i386-pc/core.img"))
        return tree
    }

    @Test("a tree becomes a GPT disk: clean ext4 with its files, FAT32 ESP at the removable path, GRUB's BIOS images placed; reproducible")
    func writesDiskFromTree() async throws {
        let work = try TemporaryDirectory(prefix: "labforge-hostdisk")
        defer { work.remove() }
        let tree = try makeTree(in: work)
        // Fixed file times, as mmdebstrap leaves them under SOURCE_DATE_EPOCH.
        try await Command.check(["find", tree, "-exec", "touch", "-h", "-d", "@1700000000", "{}", "+"])

        let layout = HostDiskLayout.make(sizeGiB: 1, label: "rootfs", seed: "test", epoch: 1_700_000_000)
        // Twice from the same tree: the same table, the same filesystem metadata and the same ESP bytes.
        var metadata: [String] = []
        for name in ["a", "b"] {
            let disk = work.appending(name + ".raw")
            let scratch = work.appending(name)
            try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
            try await layout.write(rootTree: tree, to: disk, scratch: scratch, log: nil)
            let table = try await Command.check(["sfdisk", "--dump", disk]).stdout.replacingOccurrences(of: disk, with: "disk")
            let esp = try await Command.check(["sh", "-c", "dd if=\(disk) bs=1M skip=2 count=126 status=none | sha256sum"]).stdout
            metadata.append(table + esp + (try await Command.check(["dumpe2fs", "\(disk)?offset=\(layout.partitionOffset)"]).stdout))
        }
        #expect(metadata[0] == metadata[1], "same tree, same epoch: the same table, ESP and filesystem metadata")
        #expect(metadata[0].contains("Filesystem created:       Tue Nov 14 22:13:20 2023"))

        let disk = work.appending("a.raw")
        #expect((try FileManager.default.attributesOfItem(atPath: disk)[.size] as? NSNumber)?.int64Value == 1 << 30)
        let table = try await Command.check(["sfdisk", "--dump", disk]).stdout
        #expect(table.contains("label: gpt"))
        #expect(table.contains("label-id: \(layout.diskGUID.uppercased())"))
        #expect(table.contains("a.raw1 : start=      262144, size=     \(layout.partitionSectors), type=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709"))
        #expect(table.contains("a.raw14 : start=        2048, size=        2048, type=21686148-6449-6E6F-744E-656564454649"))
        #expect(table.contains("a.raw15 : start=        4096, size=      258048, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B"))
        #expect(table.contains("name=\"esp\", attrs=\"GUID:63\""), "the ESP is marked no-auto: \(table)")

        // GRUB's boot sector: its code in the protective MBR, pointing at the core in the BIOS boot partition.
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: disk))
        defer { try? handle.close() }
        let head = try handle.read(upToCount: 512) ?? Data()
        #expect(head.prefix(0x5C) == Data(repeating: 0xB0, count: 0x5C))
        #expect(GrubPCBoot.littleEndian([UInt8](head), at: GrubPCBoot.kernelSectorOffset, bytes: 8) == 2048)
        #expect(head[0x64] == 0xFF && head[0x66] == 0x90 && head[0x67] == 0x90, "boot drive from the BIOS, hard-disk drive check on")
        #expect(head[0x1C2] == 0xEE, "sfdisk's protective MBR entry is kept")
        #expect(head[510] == 0x55 && head[511] == 0xAA)
        try handle.seek(toOffset: 2048 * 512)
        let core = [UInt8](try handle.read(upToCount: 3 * 512) ?? Data())
        #expect(GrubPCBoot.littleEndian(core, at: GrubPCBoot.blockListOffset, bytes: 8) == 2049, "the core's block list starts after its first sector")
        #expect(core.suffix(100) == [UInt8](repeating: 0, count: 100), "the core's last sector is padded with zeros")

        // The ESP, read with mtools: shim at the removable-media path, GRUB beside it, the stub where the signed GRUB looks.
        let image = "\(disk)@@\(2048 * 1024)"
        let environment = ["MTOOLS_SKIP_CHECK": "1", "MTOOLSRC": "/dev/null"]
        #expect(try await Command.check(["mtype", "-i", image, "::/EFI/BOOT/BOOTX64.EFI"], environment: environment).stdout == "shim\n")
        #expect(try await Command.check(["mtype", "-i", image, "::/EFI/BOOT/grubx64.efi"], environment: environment).stdout == "signed grub\n")
        #expect(try await Command.check(["mtype", "-i", image, "::/EFI/BOOT/mmx64.efi"], environment: environment).stdout == "mokmanager\n")
        let stub = try await Command.check(["mtype", "-i", image, "::/EFI/debian/grub.cfg"], environment: environment).stdout
        #expect(stub == BootFiles.efiGrubStub(rootUUID: layout.uuid) && stub.contains("search.fs_uuid \(layout.uuid) root"))
        let fat = try await Command.check(["minfo", "-i", image], environment: environment).stdout
        #expect(fat.contains("disk type=\"FAT32   \"") && fat.contains("big size: 258048 sectors"), "\(fat)")
        #expect(fat.contains("serial number: \(layout.efiVolumeID.uppercased())"))

        let filesystem = "\(disk)?offset=\(layout.partitionOffset)"
        try await Command.check(["e2fsck", "-fn", filesystem])
        let superblock = try await Command.check(["dumpe2fs", "-h", filesystem]).stdout
        #expect(superblock.contains("Filesystem volume name:   rootfs"))
        #expect(superblock.contains("Filesystem UUID:          \(layout.uuid)"))
        #expect(try await Command.check(["debugfs", "-R", "cat /etc/hello", filesystem]).stdout == "hello from the host\n")
        let shadow = try await Command.check(["debugfs", "-R", "stat /etc/shadow", filesystem]).stdout
        #expect(shadow.contains("Mode:  0640"))
        #expect(try await Command.check(["debugfs", "-R", "stat /vmlinuz", filesystem]).stdout.contains("Fast link dest: \"boot/vmlinuz-test\""))
    }

    @Test("a tree without the boot chain, or with a boot sector GRUB did not make, is refused before anything is written")
    func refusesIncompleteBootChain() async throws {
        let work = try TemporaryDirectory(prefix: "labforge-hostdisk-refusal")
        defer { work.remove() }
        let tree = try makeTree(in: work)
        let layout = HostDiskLayout.make(sizeGiB: 1, label: "rootfs", seed: "test", epoch: nil)
        try FileManager.default.removeItem(atPath: tree + "/usr/lib/shim/shimx64.efi.signed")
        await #expect {
            try await layout.write(rootTree: tree, to: work.appending("d.raw"), scratch: work.path, log: nil)
        } throws: { error in
            "\(error)".contains("/usr/lib/shim/shimx64.efi.signed") && "\(error)".contains("shim-signed")
        }
        #expect(!FileManager.default.fileExists(atPath: work.appending("d.raw")), "nothing written")

        try "shim\n".write(toFile: tree + "/usr/lib/shim/shimx64.efi.signed", atomically: true, encoding: .utf8)
        try Data(repeating: 0, count: 512).write(to: URL(fileURLWithPath: tree + "/boot/grub/i386-pc/boot.img"))
        let disk = work.appending("e.raw")
        try Data(count: 8 << 20).write(to: URL(fileURLWithPath: disk))
        #expect {
            try GrubPCBoot(bootImage: tree + "/boot/grub/i386-pc/boot.img", coreImage: tree + "/boot/grub/i386-pc/core.img")
                .install(into: disk, coreSector: 2048, coreSectorsAvailable: 2048)
        } throws: { error in
            "\(error)".contains("boot.img") && "\(error)".contains("55 AA")
        }
    }

    @Test("mount points below a scratch directory are found, so a tree with a bind-mounted /dev is never removed")
    func mountPointsUnder() {
        #expect(DebianBootstrapper.mountPoints(under: "/proc").contains("/proc"))
        #expect(DebianBootstrapper.mountPoints(under: "/nonexistent-labforge-scratch").isEmpty)
    }
}
