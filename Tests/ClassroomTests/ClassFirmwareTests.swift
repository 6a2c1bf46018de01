// The firmware rule in a class: every seat's VM and the pool's template state the firmware the image was verified
// under, like the per-image VMs, and an arm64 image's architecture. Checked against KubeVirt's strict CRD schema.
import Classroom
import Kube
import KubeTestSupport
import LabforgeRecipe
import Testing
import TestSupport

@Suite("Firmware in a class")
struct ClassFirmwareTests {
    /// A class of the roster and a pool of two, both persistent, of `image`, written and validated against the schemas.
    static func validatedClasses(_ image: ImageDescription) async throws -> (students: ClassManifests, pool: ClassManifests) {
        let settings = ManifestSettings(namespace: "cs101", variant: .persistent)
        let roster = try ClassFixtures.roster()
        let students = try ClassManifests(
            image: image, settings: settings, classSettings: ClassSettings(), roster: roster,
            credentials: ClassFixtures.credentials(for: roster.students.map(\.id)))
        let names = ClassManifests.poolVirtualMachineNames(image: image, size: 2)
        let pool = try ClassManifests(
            image: image, settings: settings, classSettings: ClassSettings(), poolSize: 2, credentials: ClassFixtures.credentials(for: names))
        for manifests in [students, pool] {
            let directory = try TemporaryDirectory(prefix: "labforge-firmware-class")
            let result = try ClassWriter.write(manifests, to: directory.appending("out"))
            let (status, report) = try await KubeFixtures.validate(result.paths.filter { $0.hasSuffix(".yaml") })
            #expect(status == 0, "\(report)")
            #expect(!report.contains("no schema for"), "\(report)")
        }
        return (students, pool)
    }

    /// Every seat's VM spec and the pool's template.
    static func specs(_ classes: (students: ClassManifests, pool: ClassManifests)) throws -> [VirtualMachine.Spec] {
        classes.students.students.map(\.virtualMachine.spec) + [try #require(classes.pool.pool).pool.spec.virtualMachineTemplate.spec]
    }

    @Test("a class of BIOS-only VMs: students and pool name no preference and state BIOS; schemas accept")
    func classVirtualMachines() async throws {
        var image = ClassFixtures.image()
        image.firmware = FirmwareBasis(claimed: Firmware.standard, verified: [.bios], failed: [.uefiSecureBoot])
        let classes = try await Self.validatedClasses(image)
        for spec in try Self.specs(classes) {
            #expect(spec.preference == nil)
            #expect(spec.template.spec.domain.firmware?.bootloader.bios != nil)
            #expect(spec.dataVolumeTemplates?.first?.metadata.labels?["instancetype.kubevirt.io/default-preference"] == nil)
        }
        let golden = try #require(classes.students.golden)
        #expect(golden.dataVolume.metadata.labels?["instancetype.kubevirt.io/default-preference"] == nil)
    }

    @Test("a class of an amd64+arm64 image run as arm64: seats and pool state arm64 and EFI without Secure Boot; the golden image imports arm64")
    func arm64Class() async throws {
        var image = ClassFixtures.image()
        image.architecture = "arm64"
        image.architectures = ["amd64", "arm64"]
        image.firmware = FirmwareBasis(claimed: [.uefi], verified: [.uefi])
        image.preference = "debian"
        let classes = try await Self.validatedClasses(image)
        for spec in try Self.specs(classes) {
            #expect(spec.template.spec.architecture == "arm64")
            #expect(spec.template.spec.domain.firmware?.bootloader.efi?.secureBoot == false)
            #expect(spec.template.spec.domain.features == nil)
            #expect(spec.preference == nil)
        }
        let golden = try #require(classes.students.golden)
        #expect(golden.dataVolume.metadata.labels?["instancetype.kubevirt.io/default-preference"] == nil)
        #expect(golden.dataVolume.spec.source?.registry?.platform?.architecture == "arm64")
        #expect(golden.dataImportCron.spec.template.spec.source?.registry?.platform?.architecture == "arm64")
    }
}
