// `labforge class --variant persistent-home`: a per-student home DataVolume, snapshot and restore examples and the Role
// rules for them; stop on power-off for seats and pools. Every file through the strict upstream schemas.
import Classroom
import Foundation
import Kube
import KubeTestSupport
import LabforgeRecipe
import Testing
import TestSupport

@Suite("Class: persistent home, snapshots, stop on power-off")
struct PersistentHomeClassTests {
    static func homeSettings() -> ManifestSettings {
        var settings = ClassFixtures.ingressSettings
        settings.variant = .persistentHome
        return settings
    }

    /// Writes the class, validates every YAML file (examples included) and returns the files by relative path.
    static func writeAndValidate(_ manifests: ClassManifests) async throws -> (TemporaryDirectory, [String: String]) {
        let directory = try TemporaryDirectory(prefix: "labforge-class-home")
        let output = directory.appending("out")
        let result = try ClassWriter.write(manifests, to: output)
        let (status, report) = try await KubeFixtures.validate(result.paths.filter { $0.hasSuffix(".yaml") })
        #expect(status == 0, "\(report)")
        #expect(!report.contains("no schema for"), "\(report)")
        return (directory, try ClassFixtures.files(in: output))
    }

    @Test("namespace per student: a blank home DataVolume per student by claim name and serial lab-home, no golden image; snapshot and restore examples not applied; Role allows them; schemas accept")
    func namespacePerStudent() async throws {
        let roster = try ClassFixtures.roster()
        let manifests = try ClassManifests(
            image: ClassFixtures.image(), settings: Self.homeSettings(), classSettings: ClassSettings(namespacePerStudent: true), roster: roster,
            credentials: ClassFixtures.credentials(for: roster.students.map(\.id)))
        #expect(manifests.golden == nil)  // the system disk is the containerDisk
        #expect(manifests.notes.isEmpty)
        let (_, files) = try await Self.writeAndValidate(manifests)
        #expect(!files.keys.contains { $0.hasPrefix("golden/") })
        for seat in manifests.students {
            let id = seat.student.id
            let vmName = "debian-desktop-\(id)"
            let home = try #require(seat.homeDataVolume)
            #expect(home.metadata.name == "\(vmName)-home" && home.metadata.namespace == "cs101-\(id)")
            #expect(home.metadata.labels?["labforge.dev/student"] == id && home.metadata.labels?["labforge.dev/class"] == "cs101")
            #expect(home.spec.source?.blank != nil)
            let spec = seat.virtualMachine.spec.template.spec
            #expect(spec.volumes.first { $0.name == "rootdisk" }?.containerDisk != nil)
            #expect(spec.volumes.first { $0.name == "home" }?.persistentVolumeClaim?.claimName == "\(vmName)-home")
            #expect(spec.domain.devices.disks.first { $0.name == "home" }?.serial == PersistentHome.diskSerial)
            #expect(seat.virtualMachine.spec.dataVolumeTemplates == nil)

            let snapshot = try #require(seat.snapshot)
            #expect(snapshot.spec.source == VirtualMachineReference(name: vmName))
            let restore = try #require(seat.restore)
            #expect(restore.spec.target.name == vmName && restore.spec.virtualMachineSnapshotName == snapshot.metadata.name)
            #expect(restore.spec.volumeRestorePolicy == "InPlace" && restore.spec.targetReadinessPolicy == "StopTarget")
            #expect(seat.role.rules.last == PolicyRule(
                apiGroups: ["snapshot.kubevirt.io"], resources: ["virtualmachinesnapshots", "virtualmachinerestores"], resourceNames: nil,
                verbs: ["get", "list", "watch", "create", "delete"]))

            let folder = "students/\(id)"
            let kustomization = try #require(files["\(folder)/kustomization.yaml"])
            #expect(kustomization.contains("- home.yaml") && kustomization.contains("- virtualmachine.yaml"))
            #expect(!kustomization.contains("examples") && !kustomization.contains("snapshot"))
            #expect(files["\(folder)/examples/snapshot.yaml"]?.contains("kind: VirtualMachineSnapshot") == true)
            #expect(files["\(folder)/examples/restore.yaml"]?.contains("volumeRestorePolicy: InPlace") == true)
        }
        // Home before the VM in apply order.
        let listed = try #require(files["students/alice/kustomization.yaml"])
        #expect(try #require(listed.range(of: "home.yaml")).lowerBound < (try #require(listed.range(of: "virtualmachine.yaml"))).lowerBound)
    }

    @Test("shared namespace: no snapshot rule (RBAC cannot limit create to one VM), a note says so; examples still written; persistent too")
    func sharedNamespace() async throws {
        let roster = try ClassFixtures.roster()
        for variant in [VirtualMachineVariant.persistentHome, .persistent] {
            var settings = ClassFixtures.ingressSettings
            settings.variant = variant
            let manifests = try ClassManifests(
                image: ClassFixtures.image(), settings: settings, classSettings: ClassSettings(), roster: roster,
                credentials: ClassFixtures.credentials(for: roster.students.map(\.id)))
            #expect(manifests.notes.count == 1 && manifests.notes[0].contains("--namespace-per-student"))
            for seat in manifests.students {
                #expect(!seat.role.rules.contains { $0.apiGroups == ["snapshot.kubevirt.io"] })
                #expect(seat.snapshot != nil && seat.restore != nil)
                #expect((seat.homeDataVolume != nil) == (variant == .persistentHome))
            }
            let (_, files) = try await Self.writeAndValidate(manifests)
            #expect(files.keys.contains("students/alice/examples/restore.yaml"))
        }
    }

    @Test("ephemeral classes are as before: no home, no examples, no snapshot rule, no note")
    func ephemeralUnchanged() throws {
        let roster = try ClassFixtures.roster()
        let manifests = try ClassManifests(
            image: ClassFixtures.image(), settings: ClassFixtures.ingressSettings, classSettings: ClassSettings(namespacePerStudent: true),
            roster: roster, credentials: ClassFixtures.credentials(for: roster.students.map(\.id)))
        #expect(manifests.notes.isEmpty)
        for seat in manifests.students {
            #expect(seat.homeDataVolume == nil && seat.snapshot == nil && seat.restore == nil)
            #expect(seat.role.rules.count == 3)
        }
        #expect(try !manifests.files().contains { $0.path.contains("/examples/") })
    }

    @Test("through the binary: --variant persistent-home --stop-on-poweroff --home-size; a shared namespace prints the note; every file validates")
    func commandLine() async throws {
        let scratch = try TemporaryDirectory(prefix: "labforge-class-home-cli")
        let roster = try await ClassCommandFixtures.roster(in: scratch)
        for (folder, extra) in [("own", ["--namespace-per-student"]), ("shared", [])] {
            let output = scratch.appending(folder)
            let result = try await Command.labforge(
                ["class"] + ClassCommandFixtures.image + [
                    "--namespace", "cs101", "--roster", roster, "--variant", "persistent-home", "--stop-on-poweroff", "--home-size", "3Gi",
                    "--output", output,
                ] + extra)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stderr.contains("note: students may not snapshot") == extra.isEmpty, "\(result.stderr)")
            let files = try ClassFixtures.files(in: output)
            let vm = try #require(files["students/alice/virtualmachine.yaml"])
            #expect(vm.contains("runStrategy: Manual") && vm.contains("claimName: debian-desktop-alice-home") && vm.contains("serial: lab-home"))
            #expect(files["students/alice/home.yaml"]?.contains("storage: 3Gi") == true)
            #expect(files["students/alice/access.yaml"]?.contains("snapshot.kubevirt.io") == !extra.isEmpty)
            let (status, report) = try await KubeFixtures.validate(files.keys.filter { $0.hasSuffix(".yaml") }.map { "\(output)/\($0)" })
            #expect(status == 0, "\(report)")
            #expect(report.contains("virtualmachinesnapshot_v1beta1.json") && report.contains("virtualmachinerestore_v1beta1.json"))
        }
    }

    @Test("a pool refuses persistent-home with the option named; a pool that stops on power-off runs RerunOnFailure, seats Manual")
    func poolAndRunStrategy() throws {
        let names = ClassManifests.poolVirtualMachineNames(image: ClassFixtures.image(), size: 2)
        var home = Self.homeSettings()
        home.routes = RouteProtection()
        home.host = nil
        let refusal = #expect(throws: KubeError.self) {
            try ClassManifests(
                image: ClassFixtures.image(), settings: home, classSettings: ClassSettings(), poolSize: 2,
                credentials: ClassFixtures.credentials(for: names))
        }
        #expect(refusal.map { "\($0)".contains("--variant") && "\($0)".contains("persistent-home with --pool") } == true, "\(String(describing: refusal))")

        var stopping = ManifestSettings(namespace: "workshop")
        stopping.stopOnPowerOff = true
        let pool = try ClassManifests(
            image: ClassFixtures.image(), settings: stopping, classSettings: ClassSettings(), poolSize: 2,
            credentials: ClassFixtures.credentials(for: names))
        #expect(pool.pool?.pool.spec.virtualMachineTemplate.spec.runStrategy == "RerunOnFailure")
        let roster = try ClassFixtures.roster()
        let seats = try ClassManifests(
            image: ClassFixtures.image(), settings: stopping, classSettings: ClassSettings(), roster: roster,
            credentials: ClassFixtures.credentials(for: roster.students.map(\.id)))
        #expect(seats.students.allSatisfy { $0.virtualMachine.spec.runStrategy == "Manual" })
    }
}
