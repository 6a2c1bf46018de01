// Verification of an arm64 disk: qemu-system-aarch64's virt machine under AAVMF and TCG, the failures named with the
// architecture, the scaled limits; and one boot of the shared arm64 base's disk to its guest agent, ssh and cloud-init.
import Foundation
import Hypervisor
import LabforgeRecipe
import Testing
import TestSupport
@testable import Verify

@Suite("arm64 verification")
struct Arm64VerifyTests {
    func invocation(_ architecture: Architecture, _ firmware: Firmware, accelerator: Accelerator = .tcg) throws -> QemuInvocation {
        QemuInvocation(
            overlayPath: "/t/overlay.qcow2", seedPath: "/t/seed.iso", consolePath: "/t/console.log", qmpSocketPath: "/t/qmp.sock",
            guestAgentSocketPath: "/t/qga.sock", pidFilePath: "/t/qemu.pid", forwards: [(host: 2222, guest: 22)], accelerator: accelerator,
            firmware: firmware, firmwareFiles: try FirmwareFiles.of(firmware, architecture: architecture),
            variablesPath: firmware == .bios ? nil : "/t/nvram.fd", architecture: architecture)
    }

    @Test("arm64 boots qemu-system-aarch64's virt machine with the max CPU under TCG, AAVMF's code and a private copy of its NVRAM as pflash, the same virtio PCI devices")
    func arm64Invocation() throws {
        let arguments = try invocation(.arm64, .uefi).arguments
        #expect(Array(arguments.prefix(7)) == ["qemu-system-aarch64", "-name", "labforge-verify", "-machine", "virt", "-accel", "tcg"])
        let line = arguments.joined(separator: " ")
        #expect(line.contains("-drive if=pflash,format=raw,unit=0,file=/usr/share/AAVMF/AAVMF_CODE.fd,readonly=on"))
        #expect(line.contains("-drive if=pflash,format=raw,unit=1,file=/t/nvram.fd"))
        #expect(line.contains("-cpu max,pauth-impdef=on"))
        #expect(!line.contains("q35") && !line.contains("smm") && !line.contains("property=secure"))
        for device in ["virtio-blk-pci,drive=root,bootindex=0", "virtio-net-pci,netdev=net0", "virtio-rng-pci", "virtio-serial-pci"] {
            #expect(line.contains("-device \(device)"))
        }
        // The console is the machine's first serial port: the PL011 on virt (ttyAMA0 in the guest).
        #expect(line.contains("-serial file:/t/console.log"))
        #expect(QemuInvocation.package(for: .arm64) == "qemu-system-arm" && QemuInvocation.package(for: .amd64) == "qemu-system-x86")
    }

    @Test("amd64's command line is what it was: q35, OVMF, no -cpu under TCG, the host CPU under KVM")
    func amd64Unchanged() throws {
        let arguments = try invocation(.amd64, .uefi).arguments
        #expect(Array(arguments.prefix(11)) == [
            "qemu-system-x86_64", "-name", "labforge-verify", "-machine", "q35", "-accel", "tcg",
            "-drive", "if=pflash,format=raw,unit=0,file=/usr/share/OVMF/OVMF_CODE_4M.fd,readonly=on", "-drive", "if=pflash,format=raw,unit=1,file=/t/nvram.fd",
        ])
        #expect(arguments[11] == "-m" && !arguments.contains("-cpu"))
        let kvm = try invocation(.amd64, .uefiSecureBoot, accelerator: .kvm).arguments
        #expect(kvm.contains("q35,smm=on") && kvm.joined(separator: " ").contains("-cpu host -m 2048"))
    }

    @Test("AAVMF comes from qemu-efi-aarch64, which a missing image names; arm64 has no BIOS and no Secure Boot")
    func arm64Firmware() throws {
        let files = try #require(try FirmwareFiles.of(.uefi, architecture: .arm64))
        #expect(files == FirmwareFiles(code: "/usr/share/AAVMF/AAVMF_CODE.fd", variablesTemplate: "/usr/share/AAVMF/AAVMF_VARS.fd"))
        #expect {
            _ = try FirmwareFiles.of(.uefi, architecture: .arm64, in: "/nonexistent-aavmf")
        } throws: { "\($0)".contains("/nonexistent-aavmf/AAVMF_CODE.fd") && "\($0)".contains("qemu-efi-aarch64") }
        for firmware in [Firmware.bios, .uefiSecureBoot] {
            #expect(throws: VerifyError.firmwareUnavailable(firmware: firmware, architecture: .arm64)) {
                _ = try FirmwareFiles.of(firmware, architecture: .arm64)
            }
        }
        #expect("\(VerifyError.firmwareUnavailable(firmware: .bios, architecture: .arm64))".contains("--firmware uefi"))
    }

    @Test("AAVMF's crash and GRUB's rescue on an arm64 console stop the boot, named with the firmware image and the architecture")
    func arm64ConsoleFailures() {
        let crash = "UEFI firmware (version  built at 00:00:00)\r\n\n\nSynchronous Exception at 0x000000013F2A1B04\r\n"
        #expect(BootWatch.failure(in: crash) == "Synchronous Exception at 0x000000013F2A1B04")
        #expect(BootWatch.failure(in: "Welcome to GRUB!\nerror: file '/boot/grub/arm64-efi/normal.mod' not found.\ngrub rescue> ") == "grub rescue>")
        let message = BootWatch.message(firmware: .uefi, console: crash, offending: BootWatch.failure(in: crash), architecture: .arm64)
        #expect(message.hasPrefix("did not boot under UEFI (AAVMF, arm64, TCG): Synchronous Exception at"))
        #expect(BootWatch.message(firmware: .uefi, console: "", offending: nil).hasPrefix("did not boot under UEFI: no kernel started"))
        // A good arm64 boot: AAVMF, GRUB, the EFI stub and the kernel; nothing matched.
        let good = "BdsDxe: starting Boot0001 \"UEFI Misc Device\"\nEFI stub: Booting Linux Kernel...\nEFI stub: Using DTB from configuration table\n[    0.000000] Linux version 6.12.57+deb13-cloud-arm64\n"
        #expect(BootWatch.failure(in: good) == nil && BootWatch.kernelStarted(good))
    }

    @Test("an emulated architecture's limits are tripled; amd64's are as given")
    func scaledLimits() {
        var options = VerifyOptions(deadline: 300, probeTimeout: 200)
        #expect(options.scaledForArchitecture == options)
        options.architecture = .arm64
        #expect(options.scaledForArchitecture.deadline == 900 && options.scaledForArchitecture.probeTimeout == 600)
    }

    @Test(
        "the shared arm64 base's tree, written to a disk on the host, boots under AAVMF (TCG) to its guest agent, ssh and cloud-init, with the console on ttyAMA0",
        .timeLimit(.minutes(50)), .bootsVM)
    func arm64BaseBoots() async throws {
        let directory = try TemporaryDirectory(prefix: "labforge-arm64")
        defer { directory.remove() }
        let disk = directory.appending("arm64.qcow2")
        try await SharedDebianBase.writeArm64Disk(to: disk)
        var options = VerifyOptions(deadline: 300, consoleLog: directory.appending("console.log"))
        options.architecture = .arm64
        options.firmware = Architecture.arm64.bootableFirmware
        let report = try await VMSlots.hold {
            try await Verifier().verify(disk: disk, plan: ProbePlan(targets: ProbePlan.basic), options: options)
        }
        #expect(report.passed, "\(report.results.filter { !$0.passed }.map { "\($0.probe): \($0.detail)" }) \(report.consoleTail)")
        #expect(report.accelerator == "tcg")
        #expect(report.firmware?.map(\.firmware) == [.uefi])
        let console = try String(contentsOfFile: directory.appending("console.log"), encoding: .utf8)
        #expect(console.contains("console=ttyAMA0,115200n8"))
        #expect(console.contains("-cloud-arm64"))
        #expect(console.contains("login:"))
        print("arm64 boot under AAVMF/TCG: \(report.firmware?.first.map { String(format: "%.0f", $0.seconds) } ?? "?") s to every probe passed")
    }
}
