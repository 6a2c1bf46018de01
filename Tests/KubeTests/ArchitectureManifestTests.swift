// arm64 and multi-architecture images in the manifests: an arm64 VM states its architecture and EFI without Secure
// Boot (no preference: the one it names asks for Secure Boot); CDI imports the VMs' platform from a multi-architecture
// index; a single-architecture amd64 image is written as before. Every object checked against the strict upstream schemas.
import Foundation
import Kube
import KubeTestSupport
import LabforgeRecipe
import OCI
import Testing
import TestSupport

@Suite("Architectures in the manifests")
struct ArchitectureManifestTests {
    /// The desktop image (instancetype u1.medium, preference debian) as `architecture` of the index `architectures`.
    static func image(
        _ architecture: String, of architectures: [String]? = nil, firmware: FirmwareBasis? = nil, platformDigest: Digest? = nil
    ) -> ImageDescription {
        var image = KubeFixtures.desktopImage()
        image.architecture = architecture
        image.architectures = architectures ?? [architecture]
        image.firmware = firmware
        image.platformDigest = platformDigest
        return image
    }

    /// A platform's manifest digest inside the fixture's index.
    static let armManifest = try! Digest(parsing: "sha256:" + String(repeating: "a6", count: 32))

    /// Writes the set and validates every file against the strict schemas; returns the files' text by name.
    static func validated(_ set: ManifestSet) async throws -> [String: String] {
        let directory = try TemporaryDirectory(prefix: "labforge-arch")
        let paths = try ManifestWriter.write(try set.files(), to: directory.path)
        let (status, report) = try await KubeFixtures.validate(paths)
        #expect(status == 0, "\(report)")
        #expect(!report.contains("no schema for"), "\(report)")
        var files: [String: String] = [:]
        for path in paths { files[URL(fileURLWithPath: path).lastPathComponent] = try String(contentsOfFile: path, encoding: .utf8) }
        return files
    }

    /// The registry sources of the golden DataVolume, the cron's template and the persistent VM's own DataVolume.
    static func registrySources(_ set: ManifestSet) -> [RegistrySource?] {
        [
            set.dataVolume.spec.source?.registry, set.dataImportCron.spec.template.spec.source?.registry,
            set.persistentVM.spec.dataVolumeTemplates?.first?.spec.source?.registry,
        ]
    }

    @Test("arm64 (UEFI verified, preference debian asked): architecture arm64, EFI with secureBoot false, no SMM, no preference; CDI imports arm64")
    func arm64Verified() async throws {
        let set = try ManifestSet(image: Self.image("arm64", firmware: FirmwareBasis(claimed: [.uefi], verified: [.uefi])))
        let files = try await Self.validated(set)
        for vm in [set.ephemeralVM, set.persistentVM] {
            #expect(vm.spec.template.spec.architecture == "arm64")
            #expect(vm.spec.template.spec.domain.firmware?.bootloader.efi?.secureBoot == false)
            #expect(vm.spec.template.spec.domain.firmware?.bootloader.bios == nil)
            #expect(vm.spec.template.spec.domain.features == nil)
            #expect(vm.spec.preference == nil)
            #expect(vm.spec.instancetype?.name == "u1.medium")
        }
        for name in ["virtualmachine-ephemeral.yaml", "virtualmachine-persistent.yaml"] {
            let yaml = try #require(files[name])
            #expect(yaml.contains("  template:\n") && yaml.contains("    spec:\n      architecture: arm64\n      domain:\n"), "\(yaml)")
            #expect(yaml.contains("firmware:\n          bootloader:\n            efi:\n              secureBoot: false\n"), "\(yaml)")
            #expect(!yaml.contains("smm") && !yaml.contains("VirtualMachineClusterPreference") && !yaml.contains("default-preference"))
        }
        // The golden image and the cron name the platform (the tag may name an index of one platform, the importer may
        // run on an amd64 node); the VM's own DataVolume, whose schema predates the field, names the digest alone.
        #expect(Self.registrySources(set).map { $0?.platform?.architecture } == ["arm64", "arm64", nil])
        #expect(Self.registrySources(set).allSatisfy { $0?.url.hasSuffix("@\(KubeFixtures.digest)") == true || $0?.url.hasSuffix(":1.0") == true })
        #expect(files["virtualmachine-persistent.yaml"]?.contains("platform:") == false)
        #expect(try #require(files["datavolume.yaml"]).contains("default-instancetype: u1.medium"))
    }

    @Test("arm64 with the firmware unknown still states UEFI without Secure Boot; one claiming only what arm64 cannot boot is refused")
    func arm64FirmwareRule() throws {
        let unknown = try ManifestSet(image: Self.image("arm64"))
        #expect(unknown.image.architectureFirmware == FirmwareBasis(claimed: [.uefi]))
        #expect(unknown.ephemeralVM.spec.template.spec.domain.firmware?.bootloader.efi?.secureBoot == false)
        #expect(unknown.ephemeralVM.spec.preference == nil)
        // amd64 claims restricted away: only the UEFI claim counts.
        let mixed = try ManifestSet(image: Self.image("arm64", firmware: FirmwareBasis(claimed: [.uefiSecureBoot, .uefi], verified: [.uefi])))
        #expect(mixed.ephemeralVM.spec.template.spec.domain.firmware?.bootloader.efi?.secureBoot == false)
        #expect(mixed.ephemeralVM.spec.preference == nil)
        let amd64Claims = FirmwareBasis(claimed: [.uefiSecureBoot, .bios], verified: [.uefiSecureBoot, .bios])
        #expect(throws: KubeError.noFirmwareForArchitecture(
            image: KubeFixtures.desktopImage().pinnedReference, architecture: "arm64", claims: amd64Claims.summary, bootable: "UEFI")
        ) { try ManifestSet(image: Self.image("arm64", firmware: amd64Claims)) }
        let message = KubeError.noFirmwareForArchitecture(image: "r/x@sha256:1", architecture: "arm64", claims: "BIOS ✓", bootable: "UEFI").description
        #expect(message.contains("a VirtualMachine running as arm64 boots only UEFI") && message.contains("--firmware"), "\(message)")
    }

    @Test("a multi-architecture image: the golden DataVolume and the cron pick the VMs' platform, a VM's own DataVolume its manifest; the VMs state it, amd64 too")
    func multiArchitecture() async throws {
        let both = ["amd64", "arm64"]
        let uefi = FirmwareBasis(claimed: [.uefi], verified: [.uefi])
        let arm = try ManifestSet(image: Self.image("arm64", of: both, firmware: uefi, platformDigest: Self.armManifest))
        let armFiles = try await Self.validated(arm)
        #expect(Self.registrySources(arm).map { $0?.platform?.architecture } == ["arm64", "arm64", nil])
        let pinned = "docker://\(arm.image.repository)@\(arm.image.digest)"
        #expect(Self.registrySources(arm).map { $0?.url } == [pinned, "docker://\(arm.image.repository):1.0", "docker://\(arm.image.repository)@\(Self.armManifest)"])
        #expect(arm.ephemeralVM.spec.template.spec.architecture == "arm64")
        // The containerDisk names the index: the node (an arm64 one, as the VM states) pulls its platform.
        #expect(arm.ephemeralVM.spec.template.spec.volumes.first?.containerDisk?.image == arm.image.pinnedReference)
        for name in ["datavolume.yaml", "dataimportcron.yaml"] {
            #expect(try #require(armFiles[name]).contains("platform:\n") && armFiles[name]?.contains("architecture: arm64\n") == true, "\(name)")
        }
        // The platform's manifest unknown (a pinned reference): the VM's own DataVolume names the index and the platform.
        let unknown = try ManifestSet(image: Self.image("arm64", of: both, firmware: uefi))
        #expect(Self.registrySources(unknown).map { $0?.platform?.architecture } == ["arm64", "arm64", "arm64"])
        #expect(unknown.persistentVM.spec.dataVolumeTemplates?.first?.spec.source?.registry?.url == pinned)
        // The same index run as amd64 (Secure Boot verified): the preference is kept, the platform and architecture said.
        let secure = FirmwareBasis(claimed: Firmware.standard, verified: Firmware.standard)
        let amdManifest = try Digest(parsing: "sha256:" + String(repeating: "d6", count: 32))
        let amd = try ManifestSet(image: Self.image("amd64", of: both, firmware: secure, platformDigest: amdManifest))
        _ = try await Self.validated(amd)
        #expect(Self.registrySources(amd).map { $0?.platform?.architecture } == ["amd64", "amd64", nil])
        #expect(amd.ephemeralVM.spec.template.spec.architecture == "amd64")
        #expect(amd.ephemeralVM.spec.preference?.name == "debian")
        #expect(amd.ephemeralVM.spec.template.spec.domain.firmware == nil)
    }

    @Test("a single-architecture amd64 image is written exactly as before: no architecture, no platform")
    func amd64Unchanged() async throws {
        let image = KubeFixtures.desktopImage()
        #expect(image.architectures == ["amd64"])
        #expect(image.statedArchitecture == nil && image.importedArchitecture == nil)
        let files = try await Self.validated(try ManifestSet(image: image))
        #expect(files.values.allSatisfy { !$0.contains("platform:") && !$0.contains("architecture:") })
    }

    @Test("the architectures are checked: the VMs' among the index's, each once, GOARCH-style names")
    func validation() throws {
        #expect(throws: KubeError.self) { try ManifestSet(image: Self.image("arm64", of: ["amd64"])) }
        #expect(throws: KubeError.self) { try ManifestSet(image: Self.image("amd64", of: ["amd64", "amd64"])) }
        #expect(throws: KubeError.self) { try ManifestSet(image: Self.image("arm 64", of: ["arm 64"])) }
        #expect(throws: KubeError.self) { try ManifestSet(image: Self.image("amd64", of: ["amd64", "\"><x"])) }
        do {
            _ = try ManifestSet(image: Self.image("s390x", of: ["amd64", "arm64"]))
            Issue.record("an architecture outside the index was accepted")
        } catch let error as KubeError {
            #expect(error.description.contains("holds amd64,arm64 only"), "\(error)")
        }
    }

    @Test("a multi-architecture layout: the index's digest, its platforms, the chosen platform's facts and firmware label")
    func multiArchitectureLayout() async throws {
        let scratch = try TemporaryDirectory(prefix: "labforge-arch-layout")
        let layout = scratch.appending("layout")
        let (index, manifests) = try await KubeFixtures.makeMultiArchLayout(
            at: layout, virtualSize: 3 << 30, firmware: ["amd64": "uefi-secure-boot,bios", "arm64": "uefi"])
        let first = try LayoutFacts(layoutPath: layout)
        #expect(first.digest == index)
        #expect(first.architectures == ["amd64", "arm64"])
        #expect(first.architecture == "amd64")
        #expect(first.firmware == [.uefiSecureBoot, .bios])
        let arm = try LayoutFacts(layoutPath: layout, architecture: "arm64")
        #expect(arm.digest == index && arm.architecture == "arm64" && arm.firmware == [.uefi])
        #expect(arm.diskVirtualSize == 3 << 30)
        #expect(manifests.count == 2)
        #expect(first.platformDigest == manifests["amd64"] && arm.platformDigest == manifests["arm64"])
        // A pull of one platform transfers the index too.
        let indexSize = try ImageLayout(path: layout).manifestDescriptor(tag: nil).size
        let armManifest = try ImageLayout(path: layout).platformImages(tag: nil).first { $0.config.architecture == "arm64" }
        let armImage = try #require(armManifest)
        #expect(arm.compressedSize == indexSize + armImage.descriptor.size + armImage.manifest.config.size + armImage.manifest.layers.reduce(0) { $0 + $1.size })
        #expect(throws: KubeError.self) { try LayoutFacts(layoutPath: layout, architecture: "riscv64") }

        var inputs = ImageInputs()
        inputs.reference = "127.0.0.1:5000/labs/debian-lab:1.0"
        inputs.architecture = "arm64"
        let (image, _) = try ImageDescription.resolve(.layout(path: layout, tag: nil), inputs: inputs)
        #expect(image.digest == index && image.architectures == ["amd64", "arm64"] && image.architecture == "arm64")
        let set = try ManifestSet(image: image)
        #expect(set.dataVolume.spec.source?.registry?.url == "docker://127.0.0.1:5000/labs/debian-lab@\(index)")
        #expect(set.dataVolume.spec.source?.registry?.platform?.architecture == "arm64")
        #expect(image.platformDigest == manifests["arm64"])
        #expect(set.persistentVM.spec.dataVolumeTemplates?.first?.spec.source?.registry?.url == "docker://127.0.0.1:5000/labs/debian-lab@\(manifests["arm64"]!)")
        #expect(set.ephemeralVM.spec.template.spec.domain.firmware?.bootloader.efi?.secureBoot == false)
        #expect(set.ephemeralVM.spec.template.spec.architecture == "arm64")
        _ = try await Self.validated(set)
    }

    @Test("labforge manifests on a multi-architecture layout (--arch arm64) and on a reference (--architectures)")
    func command() async throws {
        let scratch = try TemporaryDirectory(prefix: "labforge-arch-cli")
        let layout = scratch.appending("layout")
        let (index, _) = try await KubeFixtures.makeMultiArchLayout(at: layout, virtualSize: 2 << 30, firmware: ["amd64": "bios", "arm64": "uefi"])
        let output = scratch.appending("out")
        let result = try await Command.labforge([
            "manifests", layout, "--reference", "127.0.0.1:5000/labs/debian-lab:1.0", "--arch", "arm64", "--output", output,
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let vm = try String(contentsOfFile: output + "/virtualmachine-ephemeral.yaml", encoding: .utf8)
        #expect(vm.contains("      architecture: arm64\n") && vm.contains("secureBoot: false") && vm.contains("@\(index)"), "\(vm)")
        let cron = try String(contentsOfFile: output + "/dataimportcron.yaml", encoding: .utf8)
        #expect(cron.contains("platform:\n") && cron.contains("architecture: arm64"), "\(cron)")

        let reference = "registry.example.org/labs/debian-lab:1.0@\(KubeFixtures.digest)"
        let byReference = try await Command.labforge([
            "manifests", reference, "--virtual-size", "\(1 << 30)", "--architectures", "amd64,arm64", "--output", scratch.appending("ref"),
        ])
        #expect(byReference.status == 0, "\(byReference.stderr)")
        let dataVolume = try String(contentsOfFile: scratch.appending("ref/datavolume.yaml"), encoding: .utf8)
        #expect(dataVolume.contains("platform:\n") && dataVolume.contains("architecture: amd64"), "\(dataVolume)")
        let outside = try await Command.labforge([
            "manifests", reference, "--virtual-size", "1", "--architectures", "amd64", "--arch", "arm64", "--output", scratch.appending("bad"),
        ])
        #expect(outside.status != 0)
        #expect(outside.stderr.contains("--arch") && outside.stderr.contains("amd64 only"), "\(outside.stderr)")
    }
}
