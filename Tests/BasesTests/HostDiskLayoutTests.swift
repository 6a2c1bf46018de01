// The host-made disk layout: partition table and ext4 from a small tree, read back with sfdisk, e2fsck and debugfs.
@testable import Bases
import Foundation
import Testing
import TestSupport

@Suite("host disk layout")
struct HostDiskLayoutTests {
    @Test("identifiers are derived from the seed and SOURCE_DATE_EPOCH, the partition fills the disk from sector 2048")
    func layoutArithmetic() {
        let layout = HostDiskLayout.make(sizeGiB: 4, label: "rootfs", seed: "debian-trixie", epoch: 1_700_000_000)
        #expect(layout == HostDiskLayout.make(sizeGiB: 4, label: "rootfs", seed: "debian-trixie", epoch: 1_700_000_000))
        #expect(layout.uuid != HostDiskLayout.make(sizeGiB: 4, label: "rootfs", seed: "debian-trixie", epoch: nil).uuid)
        #expect(layout.uuid != HostDiskLayout.make(sizeGiB: 4, label: "rootfs", seed: "debian-bookworm", epoch: 1_700_000_000).uuid)
        #expect(layout.uuid.range(of: "^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", options: .regularExpression) != nil)
        #expect(layout.partitionOffset == 1 << 20)
        #expect(layout.partitionSectors == (4 << 30) / 512 - 2048)
        #expect(layout.filesystemBlocks * 4096 <= layout.partitionSectors * 512)
        #expect(layout.sfdiskScript.contains("start=2048, size=\(layout.partitionSectors), type=83, bootable"))
        #expect(layout.mke2fsEnvironment == ["E2FSPROGS_FAKE_TIME": "1700000000"])
        #expect(HostDiskLayout.make(sizeGiB: 4, label: "rootfs", seed: "x", epoch: nil).mke2fsEnvironment.isEmpty)
    }

    @Test("a tree becomes a partitioned raw disk with a clean ext4 holding its files, owners and modes; metadata reproducible")
    func writesFilesystemFromTree() async throws {
        let work = try TemporaryDirectory(prefix: "labforge-hostdisk")
        defer { work.remove() }
        let tree = work.appending("root")
        try FileManager.default.createDirectory(atPath: tree + "/etc", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: tree + "/boot/extlinux", withIntermediateDirectories: true)
        try "hello from the host\n".write(toFile: tree + "/etc/hello", atomically: true, encoding: .utf8)
        try "secret\n".write(toFile: tree + "/etc/shadow", atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: tree + "/etc/shadow")
        try FileManager.default.createSymbolicLink(atPath: tree + "/vmlinuz", withDestinationPath: "boot/vmlinuz-test")
        // Fixed file times, as mmdebstrap leaves them under SOURCE_DATE_EPOCH.
        try await Command.check(["find", tree, "-exec", "touch", "-h", "-d", "@1700000000", "{}", "+"])
        let bootCode = work.appending("mbr.bin")
        try Data(repeating: 0xEB, count: 440).write(to: URL(fileURLWithPath: bootCode))

        let layout = HostDiskLayout.make(sizeGiB: 1, label: "rootfs", seed: "test", epoch: 1_700_000_000)
        // Twice from the same tree: the same table and the same filesystem metadata (UUID, hash seed, times
        // mke2fs stamps itself). Inode times are copied from the tree, whose access times the first read moves.
        var metadata: [String] = []
        for name in ["a.raw", "b.raw"] {
            let disk = work.appending(name)
            try await layout.write(rootTree: tree, to: disk, bootCode: bootCode, log: nil)
            let table = try await Command.check(["sfdisk", "--dump", disk]).stdout.replacingOccurrences(of: disk, with: "disk")
            metadata.append(table + (try await Command.check(["dumpe2fs", "\(disk)?offset=\(layout.partitionOffset)"]).stdout))
        }
        #expect(metadata[0] == metadata[1], "same tree, same epoch: the same table and filesystem metadata")
        #expect(metadata[0].contains("Filesystem created:       Tue Nov 14 22:13:20 2023"))

        let disk = work.appending("a.raw")
        #expect((try FileManager.default.attributesOfItem(atPath: disk)[.size] as? NSNumber)?.int64Value == 1 << 30)
        let table = try await Command.check(["sfdisk", "--dump", disk]).stdout
        #expect(table.contains("label: dos"))
        #expect(table.contains("label-id: 0x\(String(format: "%08x", layout.diskIdentifier))"))
        #expect(table.contains("start=        2048, size=     2095104, type=83, bootable"))
        let head = try FileHandle(forReadingFrom: URL(fileURLWithPath: disk)).read(upToCount: 512) ?? Data()
        #expect(head.prefix(440) == Data(repeating: 0xEB, count: 440))
        #expect(head[510] == 0x55 && head[511] == 0xAA)

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

    @Test("mount points below a scratch directory are found, so a tree with a bind-mounted /dev is never removed")
    func mountPointsUnder() {
        #expect(DebianBootstrapper.mountPoints(under: "/proc").contains("/proc"))
        #expect(DebianBootstrapper.mountPoints(under: "/nonexistent-labforge-scratch").isEmpty)
    }
}
