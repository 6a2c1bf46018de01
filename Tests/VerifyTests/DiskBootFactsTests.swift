// A disk that cannot boot as asked is refused before anything boots: another architecture's disk (by its GPT root
// partition's Discoverable Partitions type) and BIOS without boot code. The tables are written by sfdisk, as
// labforge's own disks are; no VM starts.
import DiskImage
import Foundation
import LabforgeRecipe
import Testing
import TestSupport
@testable import Verify

@Suite("a disk's boot facts, read before booting")
struct DiskBootFactsTests {
    /// A 64 MiB GPT disk with an ESP and a root partition of `rootType`; `bootCode` puts bytes where an MBR's code goes.
    static func disk(rootType: String, bootCode: Bool, format: String, in directory: TemporaryDirectory, name: String) async throws -> String {
        let raw = directory.appending("\(name).raw")
        try await Command.check(["truncate", "-s", "64M", raw])
        let table = """
            label: gpt
            unit: sectors
            first-lba: 2048

            start=2048, size=20480, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name="esp"
            start=22528, size=100000, type=\(rootType), name="root"

            """
        try await Command.check(["sfdisk", "--quiet", raw], input: Data(table.utf8))
        if bootCode {
            // GRUB's boot.img would go here; any code bytes make the point (the protective MBR keeps its 0x55AA).
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: raw))
            try handle.write(contentsOf: Data([0xEB, 0x63, 0x90] + [UInt8](repeating: 0x90, count: 100)))
            try handle.close()
        }
        guard format == "qcow2" else { return raw }
        let qcow2 = directory.appending("\(name).qcow2")
        try await Command.check(["qemu-img", "convert", "-q", "-f", "raw", "-O", "qcow2", raw, qcow2])
        try FileManager.default.removeItem(atPath: raw)
        return qcow2
    }

    @Test("the GPT's root type names the architecture; boot code is seen in sector 0; raw and qcow2 alike", arguments: ["raw", "qcow2"])
    func reads(format: String) async throws {
        let directory = try TemporaryDirectory(prefix: "labforge-bootfacts")
        let arm = try await Self.disk(rootType: Architecture.arm64.discoverableRootType, bootCode: false, format: format, in: directory, name: "arm")
        let facts = try await DiskBootFacts.read(arm)
        #expect(facts.architecture == .arm64)
        #expect(facts.hasBIOSBootCode == false)
        let amd = try await Self.disk(rootType: Architecture.amd64.discoverableRootType, bootCode: true, format: format, in: directory, name: "amd")
        let amdFacts = try await DiskBootFacts.read(amd)
        #expect(amdFacts.architecture == .amd64)
        #expect(amdFacts.hasBIOSBootCode == true)
        #expect(amdFacts.image.format == format)
        // The generic "Linux filesystem" type names no architecture: such a disk is booted as asked.
        let generic = try await Self.disk(rootType: "0FC63DAF-8483-4772-8E79-3D69D8477DE4", bootCode: true, format: format, in: directory, name: "generic")
        #expect(try await DiskBootFacts.read(generic).architecture == nil)
        let sectors = GuestBootSectors(try QemuImg.guestStart(generic, format: format))
        #expect(sectors.partitionTypes == ["C12A7328-F81F-11D2-BA4B-00A0C93EC93B", "0FC63DAF-8483-4772-8E79-3D69D8477DE4"])
    }

    @Test("sector bytes: no GPT, a truncated table, an MBR signature without code")
    func sectors() {
        #expect(!GuestBootSectors([]).hasBIOSBootCode && GuestBootSectors([]).partitionTypes.isEmpty)
        var mbr = [UInt8](repeating: 0, count: 4096)
        mbr[510] = 0x55
        mbr[511] = 0xAA
        #expect(!GuestBootSectors(mbr).hasBIOSBootCode)
        mbr[0] = 0xEB
        #expect(GuestBootSectors(mbr).hasBIOSBootCode)
        // A GPT header whose table lies beyond the bytes read gives no types rather than garbage.
        mbr.replaceSubrange(512..<520, with: Array("EFI PART".utf8))
        mbr[512 + 72] = 200
        mbr[512 + 80] = 128
        mbr[512 + 84] = 128
        #expect(GuestBootSectors(mbr).partitionTypes.isEmpty)
    }

    @Test("the check: another architecture is refused naming both; BIOS without boot code is refused; an unknown disk passes")
    func check() throws {
        let image = DiskImageInfo(format: "qcow2", virtualSize: 1 << 26)
        var facts = DiskBootFacts(image: image, sectors: nil)
        try facts.check(disk: "d.qcow2", architecture: .amd64, firmware: Firmware.standard)
        facts.architecture = .arm64
        facts.hasBIOSBootCode = false
        #expect(throws: VerifyError.architectureMismatch(path: "d.qcow2", disk: .arm64, requested: .amd64)) {
            try facts.check(disk: "d.qcow2", architecture: .amd64, firmware: [.uefi])
        }
        try facts.check(disk: "d.qcow2", architecture: .arm64, firmware: [.uefi])
        facts.architecture = .amd64
        #expect(throws: VerifyError.noBIOSBootCode(path: "d.qcow2")) {
            try facts.check(disk: "d.qcow2", architecture: .amd64, firmware: [.uefiSecureBoot, .bios])
        }
        try facts.check(disk: "d.qcow2", architecture: .amd64, firmware: [.uefiSecureBoot])
        let mismatch = "\(VerifyError.architectureMismatch(path: "d.qcow2", disk: .arm64, requested: .amd64))"
        #expect(mismatch.contains("d.qcow2 is an arm64 disk") && mismatch.contains("--arch arm64"), "\(mismatch)")
        #expect("\(VerifyError.noBIOSBootCode(path: "d.qcow2"))".contains("--firmware uefi-secure-boot"))
    }

    @Test("labforge verify: an arm64 disk with --arch amd64, and BIOS asked of a disk without boot code, fail at once; no qemu starts")
    func refusedAtOnce() async throws {
        let directory = try TemporaryDirectory(prefix: "labforge-bootfacts-cli")
        let arm = try await Self.disk(rootType: Architecture.arm64.discoverableRootType, bootCode: false, format: "qcow2", in: directory, name: "arm")
        let console = directory.appending("console.log")
        let asAmd = try await Command.labforge(["verify", arm, "--arch", "amd64", "--console-log", console])
        #expect(asAmd.status != 0)
        #expect(asAmd.stderr.contains("is an arm64 disk (its GPT root partition is of the arm64 type), not amd64"), "\(asAmd.stderr)")
        #expect(!FileManager.default.fileExists(atPath: console), "a console log means a VM was started")
        let amd = try await Self.disk(rootType: Architecture.amd64.discoverableRootType, bootCode: false, format: "qcow2", in: directory, name: "uefi-only")
        let underBIOS = try await Command.labforge(["verify", amd, "--firmware", "uefi,bios", "--console-log", console])
        #expect(underBIOS.status != 0)
        #expect(underBIOS.stderr.contains("cannot boot under BIOS: its first sector holds no boot code"), "\(underBIOS.stderr)")
        #expect(!FileManager.default.fileExists(atPath: console))
    }
}
