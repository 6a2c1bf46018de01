// The firmware rule in a class: every seat's VM and the pool's template state the firmware the image was verified
// under, like the per-image VMs. Checked against KubeVirt's strict CRD schema.
import Classroom
import Kube
import KubeTestSupport
import LabforgeRecipe
import Testing
import TestSupport

@Suite("Firmware in a class")
struct ClassFirmwareTests {
    @Test("a class of BIOS-only VMs: students and pool name no preference and state BIOS; schemas accept")
    func classVirtualMachines() async throws {
        var image = ClassFixtures.image()
        image.firmware = FirmwareBasis(claimed: Firmware.standard, verified: [.bios], failed: [.uefiSecureBoot])
        let settings = ManifestSettings(namespace: "cs101", variant: .persistent)
        let roster = try ClassFixtures.roster()
        let students = try ClassManifests(
            image: image, settings: settings, classSettings: ClassSettings(), roster: roster,
            credentials: ClassFixtures.credentials(for: roster.students.map(\.id)))
        let names = ClassManifests.poolVirtualMachineNames(image: image, size: 2)
        let pool = try ClassManifests(
            image: image, settings: settings, classSettings: ClassSettings(), poolSize: 2, credentials: ClassFixtures.credentials(for: names))
        let specs = students.students.map(\.virtualMachine.spec) + [try #require(pool.pool).pool.spec.virtualMachineTemplate.spec]
        for spec in specs {
            #expect(spec.preference == nil)
            #expect(spec.template.spec.domain.firmware?.bootloader.bios != nil)
            #expect(spec.dataVolumeTemplates?.first?.metadata.labels?["instancetype.kubevirt.io/default-preference"] == nil)
        }
        let golden = try #require(students.golden)
        #expect(golden.dataVolume.metadata.labels?["instancetype.kubevirt.io/default-preference"] == nil)
        for manifests in [students, pool] {
            let directory = try TemporaryDirectory(prefix: "labforge-firmware-class")
            let result = try ClassWriter.write(manifests, to: directory.appending("out"))
            let (status, report) = try await KubeFixtures.validate(result.paths.filter { $0.hasSuffix(".yaml") })
            #expect(status == 0, "\(report)")
            #expect(!report.contains("no schema for"), "\(report)")
        }
    }
}
