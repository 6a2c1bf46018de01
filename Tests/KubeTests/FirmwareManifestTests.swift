// The firmware rule: a VM names the `debian` preference (UEFI Secure Boot) only when the image was verified under
// Secure Boot; otherwise it states the firmware it was verified under. Checked against KubeVirt's strict CRD schema.
import Foundation
import Kube
import KubeTestSupport
import LabforgeRecipe
import OCI
import Testing
import TestSupport

@Suite("Firmware in the manifests")
struct FirmwareManifestTests {
    /// The desktop image (instancetype u1.medium, preference debian) with a firmware basis.
    static func image(_ firmware: FirmwareBasis?, preference: String? = "debian") -> ImageDescription {
        var image = KubeFixtures.desktopImage()
        image.preference = preference
        image.firmware = firmware
        return image
    }

    /// Writes the set, validates every document, returns both VMs' and the DataVolume's YAML.
    static func validated(_ image: ImageDescription) async throws -> (set: ManifestSet, vms: [String], dataVolume: String) {
        let set = try ManifestSet(image: image)
        let directory = try TemporaryDirectory(prefix: "labforge-firmware")
        let paths = try ManifestWriter.write(try set.files(), to: directory.path)
        let (status, report) = try await KubeFixtures.validate(paths)
        #expect(status == 0, "\(report)")
        #expect(!report.contains("no schema for"), "\(report)")
        return (set, [try ManifestSet.yaml([set.ephemeralVM]), try ManifestSet.yaml([set.persistentVM])], try set.dataVolumeYAML())
    }

    @Test("verified under UEFI Secure Boot (and BIOS): the debian preference is kept, no firmware is stated")
    func secureBootVerified() async throws {
        let (set, vms, dataVolume) = try await Self.validated(Self.image(FirmwareBasis(claimed: Firmware.standard, verified: Firmware.standard)))
        for vm in [set.ephemeralVM, set.persistentVM] {
            #expect(vm.spec.preference?.name == "debian")
            #expect(vm.spec.template.spec.domain.firmware == nil)
            #expect(vm.spec.template.spec.domain.features == nil)
        }
        for yaml in vms {
            #expect(yaml.contains("kind: VirtualMachineClusterPreference\n    name: debian"))
            #expect(!yaml.contains("firmware:"))
            #expect(!yaml.contains("smm"))
        }
        #expect(dataVolume.contains("instancetype.kubevirt.io/default-preference: debian"))
        // Secure Boot verified, BIOS failed: still the preference.
        let biosFailed = Self.image(FirmwareBasis(claimed: Firmware.standard, verified: [.uefiSecureBoot], failed: [.bios]))
        #expect(try ManifestSet(image: biosFailed).ephemeralVM.spec.preference?.name == "debian")
    }

    @Test("verified only under BIOS: no preference, no default-preference label, the BIOS bootloader stated, no SMM")
    func onlyBIOSVerified() async throws {
        let basis = FirmwareBasis(claimed: Firmware.standard, verified: [.bios], failed: [.uefiSecureBoot])
        #expect(basis.firmware == [.bios])
        let (set, vms, dataVolume) = try await Self.validated(Self.image(basis))
        for vm in [set.ephemeralVM, set.persistentVM] {
            #expect(vm.spec.preference == nil)
            #expect(vm.spec.instancetype?.name == "u1.medium")
            #expect(vm.spec.template.spec.domain.firmware?.bootloader.bios != nil)
            #expect(vm.spec.template.spec.domain.firmware?.bootloader.efi == nil)
            #expect(vm.spec.template.spec.domain.features == nil)
        }
        for yaml in vms {
            #expect(!yaml.contains("VirtualMachineClusterPreference"))
            #expect(yaml.contains("    firmware:\n          bootloader:\n            bios: {}\n"), "\(yaml)")
            #expect(!yaml.contains("smm"))
        }
        #expect(!dataVolume.contains("default-preference"))
        #expect(dataVolume.contains("instancetype.kubevirt.io/default-instancetype: u1.medium"))
        // The persistent VM's own DataVolume and the golden image's cron carry no preference either.
        #expect(set.persistentVM.spec.dataVolumeTemplates?.first?.metadata.labels?["instancetype.kubevirt.io/default-preference"] == nil)
        #expect(set.dataImportCron.spec.template.metadata.labels?["instancetype.kubevirt.io/default-preference"] == nil)
    }

    @Test("verified only under UEFI without Secure Boot: no preference, EFI with secureBoot false, no SMM")
    func onlyUEFIVerified() async throws {
        let (set, vms, _) = try await Self.validated(Self.image(FirmwareBasis(claimed: [.uefi], verified: [.uefi])))
        #expect(set.ephemeralVM.spec.preference == nil)
        #expect(set.ephemeralVM.spec.template.spec.domain.firmware?.bootloader.efi?.secureBoot == false)
        #expect(set.ephemeralVM.spec.template.spec.domain.firmware?.bootloader.bios == nil)
        for yaml in vms {
            #expect(yaml.contains("    firmware:\n          bootloader:\n            efi:\n              secureBoot: false\n"), "\(yaml)")
            #expect(!yaml.contains("smm"))
        }
        // UEFI and BIOS verified: UEFI is stated.
        let both = try ManifestSet(image: Self.image(FirmwareBasis(claimed: [.uefi, .bios], verified: [.uefi, .bios])))
        #expect(both.ephemeralVM.spec.template.spec.domain.firmware?.bootloader.efi?.secureBoot == false)
    }

    @Test("not verified (--no-verify): the claimed firmwares count, so the standard claim keeps the preference")
    func notVerified() throws {
        let set = try ManifestSet(image: Self.image(FirmwareBasis(claimed: Firmware.standard)))
        #expect(set.ephemeralVM.spec.preference?.name == "debian")
        #expect(set.ephemeralVM.spec.template.spec.domain.firmware == nil)
        let biosOnly = try ManifestSet(image: Self.image(FirmwareBasis(claimed: [.bios])))
        #expect(biosOnly.ephemeralVM.spec.preference == nil)
        #expect(biosOnly.ephemeralVM.spec.template.spec.domain.firmware?.bootloader.bios != nil)
        // Unknown firmware (a pinned reference without --firmware): the preference as given, nothing stated.
        let unknown = try ManifestSet(image: Self.image(nil))
        #expect(unknown.ephemeralVM.spec.preference?.name == "debian")
        #expect(unknown.ephemeralVM.spec.template.spec.domain.firmware == nil)
    }

    @Test("Secure Boot only, without a preference: EFI with Secure Boot and SMM stated; accepted by the schema")
    func secureBootWithoutPreference() async throws {
        let (set, vms, _) = try await Self.validated(Self.image(FirmwareBasis(claimed: [.uefiSecureBoot], verified: [.uefiSecureBoot]), preference: nil))
        #expect(set.ephemeralVM.spec.preference == nil)
        #expect(set.ephemeralVM.spec.template.spec.domain.firmware?.bootloader.efi?.secureBoot == true)
        #expect(set.ephemeralVM.spec.template.spec.domain.features?.smm.enabled == true)
        #expect(vms[0].contains("    features:\n          smm:\n            enabled: true\n"), "\(vms[0])")
        // Secure Boot and BIOS without a preference: BIOS, KubeVirt's default, written out.
        let standard = try ManifestSet(image: Self.image(FirmwareBasis(claimed: Firmware.standard, verified: Firmware.standard), preference: nil))
        #expect(standard.ephemeralVM.spec.template.spec.domain.firmware?.bootloader.bios != nil)
        #expect(standard.ephemeralVM.spec.template.spec.domain.features == nil)
    }

    @Test("verified under none of its firmwares: refused, naming each firmware's outcome")
    func noFirmwareVerified() {
        let basis = FirmwareBasis(claimed: Firmware.standard, failed: Firmware.standard)
        #expect(basis.firmware.isEmpty)
        #expect(throws: KubeError.noBootableFirmware(image: Self.image(basis).pinnedReference, claims: "UEFI Secure Boot FAILED, BIOS FAILED")) {
            try ManifestSet(image: Self.image(basis))
        }
    }

    @Test("the basis encodes as the list of claims and reads back")
    func basisJSON() throws {
        let basis = FirmwareBasis(claimed: Firmware.standard, verified: [.uefiSecureBoot], failed: [.bios])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = String(decoding: try encoder.encode(basis), as: UTF8.self)
        #expect(json == #"[{"firmware":"uefi-secure-boot","status":"verified"},{"firmware":"bios","status":"failed"}]"#)
        #expect(try JSONDecoder().decode(FirmwareBasis.self, from: Data(json.utf8)) == basis)
        #expect(basis.summary == "UEFI Secure Boot ✓, BIOS FAILED")
        #expect(FirmwareBasis(claimed: [.bios, .bios]).claims == [.init(firmware: .bios, status: .notVerified)])
    }
}

@Suite("Firmware from a layout")
struct LayoutFirmwareTests {
    /// A verification report as `labforge verify --report` writes it, with one boot per firmware.
    static func report(_ boots: [(Firmware, Bool)]) -> String {
        let firmware = boots.map { #"{"firmware": "\#($0.0.rawValue)", "passed": \#($0.1), "kernelStarted": true, "probes": ["web-terminal"], "seconds": 30}"# }
        return """
            {"disk": "disk.qcow2", "accelerator": "tcg", "results": [], "passed": true, "seconds": 60, "stoppedBy": "powerdown",
             "consoleTail": "", "finishedAt": "2026-12-05T12:00:00Z", "firmware": [\(firmware.joined(separator: ", "))]}
            """
    }

    @Test("the packer's firmware label is read back; an unknown firmware in it is refused")
    func label() async throws {
        let scratch = try TemporaryDirectory(prefix: "labforge-firmware-layout")
        let disk = scratch.appending("lab.qcow2")
        try await DiskFixtures.makeQcow2(at: disk, randomMiB: 1)
        let layout = scratch.appending("layout")
        _ = try ContainerDiskPacker().package(
            disk: disk, into: layout,
            options: ContainerDiskOptions(
                name: try RepositoryName("labs/lab"), tag: try Tag("1.0"), preference: "debian", firmware: ["uefi-secure-boot", "bios"]))
        let facts = try LayoutFacts(layoutPath: layout)
        #expect(facts.firmware == Firmware.standard)
        let (description, _) = try ImageDescription.resolve(.layout(path: layout, tag: nil), inputs: {
            var inputs = ImageInputs()
            inputs.reference = "127.0.0.1:5000/labs/lab:1.0"
            return inputs
        }())
        #expect(description.firmware == FirmwareBasis(claimed: Firmware.standard))
        #expect(description.namedPreference == "debian")

        let bad = scratch.appending("bad")
        _ = try await KubeFixtures.makeLayout(at: bad, virtualSize: 1 << 30, labels: [AnnotationKey.firmware: "uefi,coreboot"])
        #expect(throws: KubeError.self) { try LayoutFacts(layoutPath: bad) }
    }

    @Test("labforge manifests: the layout's claim when no report is given; only what the report verified with one")
    func manifestsCommand() async throws {
        let scratch = try TemporaryDirectory(prefix: "labforge-firmware-cli")
        let layout = scratch.appending("layout")
        _ = try await KubeFixtures.makeLayout(at: layout, virtualSize: 3 << 30, labels: [AnnotationKey.firmware: "uefi-secure-boot,bios"])
        let arguments = ["manifests", layout, "--reference", "127.0.0.1:5000/labs/debian-lab:1.0"]

        // No report: claimed, not verified; Secure Boot is claimed, so the preference stays.
        let claimed = scratch.appending("claimed")
        let first = try await Command.labforge(arguments + ["--output", claimed])
        #expect(first.status == 0, "\(first.stderr)")
        let claimedVM = try String(contentsOfFile: claimed + "/virtualmachine-ephemeral.yaml", encoding: .utf8)
        #expect(claimedVM.contains("kind: VirtualMachineClusterPreference\n    name: debian\n"))
        #expect(!claimedVM.contains("firmware:"))

        // The report: Secure Boot failed, BIOS passed: no preference, BIOS stated.
        let report = scratch.appending("verification.json")
        try Self.report([(.uefiSecureBoot, false), (.bios, true)]).write(toFile: report, atomically: true, encoding: .utf8)
        let verified = scratch.appending("verified")
        let second = try await Command.labforge(arguments + ["--verification-report", report, "--output", verified])
        #expect(second.status == 0, "\(second.stderr)")
        let files = try FileManager.default.contentsOfDirectory(atPath: verified).map { verified + "/" + $0 }
        let (status, validation) = try await KubeFixtures.validate(files)
        #expect(status == 0, "\(validation)")
        let vm = try String(contentsOfFile: verified + "/virtualmachine-ephemeral.yaml", encoding: .utf8)
        #expect(!vm.contains("VirtualMachineClusterPreference"))
        #expect(vm.contains("bios: {}"))
        #expect(!(try String(contentsOfFile: verified + "/datavolume.yaml", encoding: .utf8)).contains("default-preference"))

        // --firmware overrides the label; an unknown name is refused with the list of known ones.
        let uefi = scratch.appending("uefi")
        let third = try await Command.labforge(arguments + ["--firmware", "uefi", "--output", uefi])
        #expect(third.status == 0, "\(third.stderr)")
        #expect(try String(contentsOfFile: uefi + "/virtualmachine-ephemeral.yaml", encoding: .utf8).contains("secureBoot: false"))
        let wrong = try await Command.labforge(arguments + ["--firmware", "coreboot", "--output", scratch.appending("wrong")])
        #expect(wrong.status != 0)
        #expect(wrong.stderr.contains("uefi-secure-boot, uefi, bios"), "\(wrong.stderr)")

        // Every boot failed: nothing is written.
        try Self.report([(.uefiSecureBoot, false), (.bios, false)]).write(toFile: report, atomically: true, encoding: .utf8)
        let none = try await Command.labforge(arguments + ["--verification-report", report, "--output", scratch.appending("none")])
        #expect(none.status != 0)
        #expect(none.stderr.contains("verified under none of its firmwares"), "\(none.stderr)")
        #expect(!FileManager.default.fileExists(atPath: scratch.appending("none")))
    }
}
