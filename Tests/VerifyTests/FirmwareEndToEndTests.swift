// End to end: the shared base under each firmware as KubeVirt starts it, a disk Secure Boot refuses, and a grown disk
// with a kernel installed by the guest's own apt booting that kernel next under UEFI Secure Boot and BIOS.
import Foundation
import Testing
import TestSupport

@Suite("firmware end to end (TCG boots)", .serialized)
struct FirmwareEndToEndTests {
    /// The report `labforge verify --report` wrote.
    func report(_ path: String) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
    }

    /// The boots of a report, by firmware name.
    func boots(_ report: [String: Any]) -> [String: [String: Any]] {
        var boots: [String: [String: Any]] = [:]
        for boot in report["firmware"] as? [[String: Any]] ?? [] { boots[boot["firmware"] as? String ?? "?"] = boot }
        return boots
    }

    /// Runs `labforge verify` in a VM slot.
    func verify(_ arguments: [String], in scratch: TemporaryDirectory) async throws -> LabforgeRun {
        try await VMSlots.hold {
            let run = try LabforgeRun(["verify"] + arguments, in: scratch.path)
            await run.waitForExit()
            return run
        }
    }

    @Test("the bootstrapped base boots under plain UEFI (OVMF without Secure Boot): the guest reads SecureBoot = 0", .timeLimit(.minutes(60)), .bootsVM)
    func plainUEFI() async throws {
        let scratch = try TemporaryDirectory(prefix: "labforge-firmware-uefi")
        defer { scratch.remove() }
        let base = try await SharedDebianBase.path()
        let path = scratch.appending("verify.json")
        let run = try await verify([base, "--firmware", "uefi", "--probe", "guest-agent", "--report", path, "--timeout", "300"], in: scratch)
        #expect(run.status == 0, "stdout: \(run.stdout)\nstderr: \(run.stderr.suffix(3000))")
        let uefi = boots(try report(path))["uefi"]
        #expect(uefi?["passed"] as? Bool == true)
        #expect(uefi?["kernelStarted"] as? Bool == true)
        #expect(uefi?["secureBoot"] as? Bool == false, "plain OVMF: the guest's SecureBoot variable is 0")
        #expect(run.stdout.contains("firmware uefi: booted, guest-agent, secure-boot passed, Secure Boot off"), "\(run.stdout)")
        #expect(run.survivors(after: 10).isEmpty)
    }

    @Test(
        "a disk whose removable path holds a loader Microsoft did not sign fails under Secure Boot at once, naming the firmware and its refusal; BIOS still boots it",
        .timeLimit(.minutes(60)), .bootsVM)
    func secureBootRefusal() async throws {
        let scratch = try TemporaryDirectory(prefix: "labforge-firmware-refused")
        defer { scratch.remove() }
        let base = try await SharedDebianBase.path()
        // Debian's signed GRUB at /EFI/BOOT/BOOTX64.EFI: signed by Debian's key, which OVMF's Microsoft db does not hold.
        let broken = scratch.appending("unsigned-loader.qcow2")
        try await Command.check(["qemu-img", "create", "-q", "-f", "qcow2", "-b", base, "-F", "qcow2", broken])
        _ = try await VMSlots.hold {
            try await Command.check(
                ["guestfish", "--rw", "-a", broken, "run", ":", "mount", "/dev/sda15", "/", ":", "cp", "/EFI/BOOT/grubx64.efi", "/EFI/BOOT/BOOTX64.EFI"],
                environment: ["LIBGUESTFS_BACKEND": "direct", "LIBGUESTFS_BACKEND_SETTINGS": "force_tcg"])
        }
        let path = scratch.appending("verify.json")
        let run = try await verify(
            [broken, "--firmware", "uefi-secure-boot,bios", "--probe", "guest-agent", "--report", path, "--timeout", "300"], in: scratch)
        #expect(run.status != 0)
        let firstLine = run.stderr.split(separator: "\n").first { $0.contains("failed:") }.map(String.init) ?? ""
        #expect(firstLine.contains("did not boot under UEFI Secure Boot: "), "stderr: \(run.stderr.suffix(3000))")
        #expect(firstLine.contains("Access Denied") || firstLine.contains("Security Violation"), "the firmware's own refusal: \(firstLine)")
        let found = boots(try report(path))
        #expect(found["uefi-secure-boot"]?["passed"] as? Bool == false)
        #expect(found["uefi-secure-boot"]?["kernelStarted"] as? Bool == false)
        #expect(found["bios"]?["passed"] as? Bool == true, "the same disk boots under BIOS")
        // Stopped at the refusal, not at the probe's limit: the guest-agent probe ends on the stopped VM.
        let results = try report(path)["results"] as? [[String: Any]] ?? []
        let agent = results.first { $0["probe"] as? String == "guest-agent" }
        let agentDetail = (agent?["detail"] as? String) ?? ""
        #expect(agentDetail.hasPrefix("stopped"), "\(agentDetail)")
        #expect(run.survivors(after: 10).isEmpty)
    }

    @Test(
        "a recipe that grows the disk and installs a kernel with the guest's apt (Debian's signed linux-image-rt-amd64): that kernel boots next, under UEFI Secure Boot and BIOS",
        .timeLimit(.minutes(60)), .bootsVM)
    func kernelUpgrade() async throws {
        let scratch = try TemporaryDirectory(prefix: "labforge-firmware-kernel")
        defer { scratch.remove() }
        let base = try await SharedDebianBase.path()
        // The guest's own apt from the Debian mirror, in the customize appliance, with its maintainer scripts and
        // kernel hooks (initramfs-tools, zz-update-grub): the way a lab teacher's recipe installs a kernel. The disk
        // grows first: the GPT's backup table moves and the root (partition 1, last on the disk) grows.
        let recipe = scratch.appending("labforge.swift")
        try """
            import LabforgeRecipe

            let upgraded = Recipe(name: "kernel-upgrade", sysprep: nil) {
                GrowDisk(toGiB: 6)
                Install(["linux-image-rt-amd64"])
                Run("readlink /vmlinuz && grep -c rt-amd64 /boot/grub/grub.cfg")
            }
            """.write(toFile: recipe, atomically: true, encoding: .utf8)
        let upgraded = scratch.appending("upgraded.qcow2")
        let customized = try await VMSlots.hold {
            try await Command.labforge(["customize", "kernel-upgrade", "--base", base, "--output", upgraded, "--recipes", recipe])
        }
        #expect(customized.status == 0, "\(customized.stderr.suffix(3000))")
        let log = try String(contentsOfFile: upgraded + ".log", encoding: .utf8)
        #expect(log.contains("Generating grub configuration file"), "zz-update-grub ran update-grub")
        let release = try #require(log.split(separator: "\n").first { $0.hasPrefix("boot/vmlinuz-") && $0.hasSuffix("-rt-amd64") })
            .dropFirst("boot/vmlinuz-".count)
        #expect(try await Command.check(["qemu-img", "info", upgraded]).stdout.contains("virtual size: 6 GiB"))

        let path = scratch.appending("verify.json")
        let console = scratch.appending("console.log")
        let run = try await verify(
            [upgraded, "--firmware", "uefi-secure-boot,bios", "--probe", "guest-agent", "--report", path, "--console-log", console, "--timeout", "300"],
            in: scratch)
        #expect(run.status == 0, "stdout: \(run.stdout)\nstderr: \(run.stderr.suffix(3000))")
        let found = boots(try report(path))
        #expect(found["uefi-secure-boot"]?["secureBoot"] as? Bool == true)
        #expect(found["bios"]?["passed"] as? Bool == true)
        // Each boot's console: the new kernel's banner (signed by Debian, accepted by shim under Secure Boot).
        let text = try String(contentsOfFile: console, encoding: .utf8)
        let sections = text.components(separatedBy: "===== labforge verify ").filter { !$0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }
        #expect(sections.count == 2)
        for section in sections {
            #expect(section.contains("Linux version \(release) "), "\(section.prefix(120)): no banner of \(release)")
        }
        #expect(sections.contains { $0.contains("under UEFI Secure Boot") && $0.contains("secureboot: Secure boot enabled") })
        #expect(sections.contains { $0.contains("under BIOS") })
        #expect(run.survivors(after: 10).isEmpty)
    }
}
