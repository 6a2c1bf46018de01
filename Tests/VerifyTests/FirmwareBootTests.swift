// How a verification boot picks its firmware and reads the console: qemu's firmware arguments, the refusals that
// end a boot at once, the probes of the primary and the shorter boots.
import Foundation
import LabforgeRecipe
import Testing
@testable import Verify

@Suite("firmware boots")
struct FirmwareBootTests {
    func invocation(_ firmware: Firmware) throws -> QemuInvocation {
        QemuInvocation(
            overlayPath: "/t/overlay.qcow2", seedPath: "/t/seed.iso", consolePath: "/t/console.log", qmpSocketPath: "/t/qmp.sock",
            guestAgentSocketPath: "/t/qga.sock", pidFilePath: "/t/qemu.pid", forwards: [], accelerator: .tcg,
            firmware: firmware, firmwareFiles: try FirmwareFiles.of(firmware), variablesPath: firmware == .bios ? nil : "/t/nvram.fd")
    }

    @Test("UEFI Secure Boot is OVMF's Secure Boot build with SMM, the secure pflash and a private NVRAM; UEFI plain OVMF; BIOS neither")
    func qemuFirmwareArguments() throws {
        let secure = try invocation(.uefiSecureBoot).arguments.joined(separator: " ")
        #expect(secure.contains("-machine q35,smm=on"))
        #expect(secure.contains("-global driver=cfi.pflash01,property=secure,value=on"))
        #expect(secure.contains("-drive if=pflash,format=raw,unit=0,file=/usr/share/OVMF/OVMF_CODE_4M.secboot.fd,readonly=on"))
        #expect(secure.contains("-drive if=pflash,format=raw,unit=1,file=/t/nvram.fd"))
        let plain = try invocation(.uefi).arguments.joined(separator: " ")
        #expect(plain.contains("-machine q35 ") && !plain.contains("smm=on") && !plain.contains("property=secure"))
        #expect(plain.contains("file=/usr/share/OVMF/OVMF_CODE_4M.fd,readonly=on"))
        let bios = try invocation(.bios).arguments.joined(separator: " ")
        #expect(!bios.contains("pflash") && !bios.contains("smm"))
        // The NVRAM templates: Microsoft's keys enrolled for Secure Boot, none for plain UEFI.
        #expect(try FirmwareFiles.of(.uefiSecureBoot)?.variablesTemplate == "/usr/share/OVMF/OVMF_VARS_4M.ms.fd")
        #expect(try FirmwareFiles.of(.uefi)?.variablesTemplate == "/usr/share/OVMF/OVMF_VARS_4M.fd")
        #expect(try FirmwareFiles.of(.bios) == nil)
        // A shorter boot beside the main one runs at the lowest CPU priority.
        var background = try invocation(.bios)
        #expect(background.commandLine == background.arguments)
        background.background = true
        #expect(background.commandLine.prefix(4) == ["nice", "-n", "19", "qemu-system-x86_64"])
    }

    @Test("a missing OVMF image names the file and the ovmf package")
    func missingFirmware() {
        #expect {
            _ = try FirmwareFiles.of(.uefiSecureBoot, in: "/nonexistent-ovmf")
        } throws: { error in
            "\(error)".contains("/nonexistent-ovmf/OVMF_CODE_4M.secboot.fd") && "\(error)".contains("ovmf")
        }
    }

    @Test("the console's refusals: OVMF's Access Denied and empty boot list, SeaBIOS's, GRUB's rescue, a panic; not a good boot")
    func consoleFailures() {
        let refused = """
            BdsDxe: loading Boot0001 "UEFI Misc Device" from PciRoot(0x0)/Pci(0x1,0x0)
            BdsDxe: failed to load Boot0001 "UEFI Misc Device" from PciRoot(0x0)/Pci(0x1,0x0): Access Denied
            BdsDxe: No bootable option or device was found.
            """
        #expect(BootWatch.failure(in: refused)?.contains("Access Denied") == true)
        #expect(BootWatch.failure(in: "\u{1B}[2J\u{1B}[01;01HBdsDxe: No bootable option or device was found.\r\n") == "BdsDxe: No bootable option or device was found.")
        #expect(BootWatch.failure(in: "Booting from Hard Disk...\nBoot failed: not a bootable disk\n") != nil)
        #expect(BootWatch.failure(in: "error: no such device: 3f1c.\ngrub rescue> ") != nil)
        let good = """
            BdsDxe: starting Boot0001 "UEFI Misc Device" from PciRoot(0x0)/Pci(0x1,0x0)
            EFI stub: UEFI Secure Boot is enabled.
            [    0.000000] Linux version 6.12.118+deb13-cloud-amd64
            [    0.000000] secureboot: Secure boot enabled
            [   12.1] systemd[1]: sshd: Access Denied for user root (a user-space line after the kernel is no firmware refusal)
            """
        #expect(BootWatch.failure(in: good) == nil)
        #expect(BootWatch.failure(in: good + "\n[   14.0] Kernel panic - not syncing: Attempted to kill init!") != nil)
        // A serial console ends its lines with CR LF (one Character in Swift): the offending line is still one line.
        let crlf = "[    0.000000] Linux version 6.12\r\n[    2.9] Oops: int3\r\n[    2.92] Kernel panic - not syncing: Fatal exception\r\n"
        #expect(BootWatch.failure(in: crlf) == "[    2.92] Kernel panic - not syncing: Fatal exception")
        #expect(BootWatch.kernelPanicked(crlf) && !BootWatch.kernelPanicked(good))
        #expect(BootWatch.message(firmware: .uefiSecureBoot, console: refused, offending: BootWatch.failure(in: refused))
            .hasPrefix("did not boot under UEFI Secure Boot: BdsDxe: failed to load Boot0001"))
        #expect(BootWatch.message(firmware: .bios, console: "SeaBIOS (version 1.16.2)\nBooting from Hard Disk...", offending: nil)
            == "did not boot under BIOS: no kernel started (console ends: SeaBIOS (version 1.16.2) | Booting from Hard Disk...)")
        // Plain OVMF with nothing it can load (here an arm64 disk) opens its shell and waits at the prompt: seen here.
        let shell = """
            BdsDxe: failed to load Boot0001 "UEFI Misc Device" from PciRoot(0x0)/Pci(0x1,0x0): Not Found
            BdsDxe: loading Boot0002 "EFI Internal Shell" from Fv(7CB8BDC9-F8EB-4F34-AAEA-3EE4AF6516A1)/FvFile(7C04A583-9E3E-4F1C-AD65-E05268D0B4D1)
            BdsDxe: starting Boot0002 "EFI Internal Shell" from Fv(7CB8BDC9-F8EB-4F34-AAEA-3EE4AF6516A1)/FvFile(7C04A583-9E3E-4F1C-AD65-E05268D0B4D1)
            \u{1B}[2J\u{1B}[01;01H\u{1B}[01;01HUEFI Interactive Shell v2.2
            EDK II
            """
        let line = BootWatch.failure(in: shell)
        #expect(line == "UEFI Interactive Shell v2.2")
        let message = BootWatch.message(firmware: .uefi, console: shell, offending: line)
        #expect(message.hasPrefix("did not boot under UEFI: the firmware found no boot loader it could start on the disk and opened its shell"))
        #expect(message.contains("amd64 looks for \\EFI\\BOOT\\BOOTX64.EFI"), "\(message)")
        #expect(BootWatch.message(firmware: .uefi, console: shell, offending: line, architecture: .arm64).contains("BOOTAA64.EFI"))
    }

    @Test("the primary boot runs the whole plan plus secure-boot under UEFI; the others up to the first agent")
    func plans() throws {
        let plan = ProbePlan(targets: [.webDesktop(port: 6080), .webTerminal(port: 7681), .ssh, .cloudInit, .guestAgent])
        #expect(FirmwareBootRun.fullPlan(plan, under: .uefiSecureBoot).targets == plan.targets + [.secureBoot])
        #expect(FirmwareBootRun.fullPlan(plan, under: .bios).targets == plan.targets)
        #expect(FirmwareBootRun.firstAgentPlan(plan, under: .bios).targets == [.webTerminal(port: 7681)])
        #expect(FirmwareBootRun.firstAgentPlan(plan, under: .uefi).targets == [.webTerminal(port: 7681), .secureBoot])
        #expect(FirmwareBootRun.firstAgentPlan(ProbePlan(targets: [.ssh, .guestAgent]), under: .bios).targets == [.guestAgent])
        // Without a guest agent the variable cannot be read: the kernel's own line on the console stands in.
        #expect(FirmwareBootRun.fullPlan(ProbePlan(targets: [.ssh]), under: .uefiSecureBoot).targets == [.ssh])
        #expect(FirmwareBootRun.secureBoot(results: [], console: "[0.0] secureboot: Secure boot enabled", firmware: .uefiSecureBoot) == true)
        #expect(FirmwareBootRun.secureBoot(results: [], console: "[0.0] secureboot: Secure boot disabled", firmware: .uefi) == false)
        #expect(FirmwareBootRun.secureBoot(results: [], console: "", firmware: .bios) == nil)
        #expect(try ProbeTarget.parse("secure-boot") == .secureBoot && ProbeTarget.secureBoot.argument == "secure-boot")
    }

    @Test("firmware lists parse in order, each once; unknown names and empty lists are refused; the primary is the strictest")
    func firmwareLists() {
        #expect(Firmware.list("bios,uefi-secure-boot,bios") == [.bios, .uefiSecureBoot])
        #expect(Firmware.list("uefi, bios") == [.uefi, .bios])
        #expect(Firmware.list("efi") == nil && Firmware.list("") == nil)
        #expect(Firmware.primary(of: [.bios, .uefi]) == .uefi)
        #expect(Firmware.primary(of: Firmware.standard) == .uefiSecureBoot)
        #expect(Firmware.primary(of: []) == nil)
    }
}
