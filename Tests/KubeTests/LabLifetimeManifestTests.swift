// Issue 28: a recipe with a LabLifetime gets, without --stop-on-poweroff, the run strategy under which the guest's
// own power-off leaves the VM stopped; strict schemas accept the VMs.
import Foundation
import Kube
import KubeTestSupport
import LabforgeRecipe
import OCI
import Testing
import TestSupport

@Suite("Lab lifetime manifests: a self-stopping image keeps its power-off")
struct LabLifetimeManifestTests {
    @Test("stopsItself reads the recipe's LabLifetime; such an image's VMs: Always → RerunOnFailure, Halted → Manual without the flag; others unchanged; schemas accept")
    func derivedRunStrategy() async throws {
        let timed = Recipe(name: "timed") { CreateUser("student"); WebTerminal(user: "student"); LabLifetime(idleStop: .minutes(30)) }
        let plain = Recipe(name: "plain") { CreateUser("student"); WebTerminal(user: "student") }
        #expect(ImageDescription.stopsItself(timed) && !ImageDescription.stopsItself(plain))

        var image = KubeFixtures.desktopImage()
        image.stopsItself = true
        for (given, expected) in [(RunStrategy.halted, "Manual"), (.always, "RerunOnFailure"), (.manual, "Manual"), (.once, "Once")] {
            let set = try ManifestSet(image: image, settings: ManifestSettings(runStrategy: given, variant: .persistentHome))
            for vm in [set.ephemeralVM, set.persistentVM, try #require(set.persistentHomeVM)] {
                #expect(vm.spec.runStrategy == expected)
            }
            #expect(try ManifestSet(image: KubeFixtures.desktopImage(), settings: ManifestSettings(runStrategy: given)).ephemeralVM.spec.runStrategy == given.rawValue)
        }

        #expect(ManifestSettings(runStrategy: .always).runStrategy(for: image) == .rerunOnFailure)

        let directory = try TemporaryDirectory(prefix: "labforge-lifetime")
        let set = try ManifestSet(image: image, settings: ManifestSettings(runStrategy: .always))
        let paths = try ManifestWriter.write(try set.files(), to: directory.path)
        let vmText = try String(contentsOfFile: try #require(paths.first { $0.hasSuffix("/virtualmachine-ephemeral.yaml") }), encoding: .utf8)
        #expect(vmText.contains("runStrategy: RerunOnFailure"))
        let (status, report) = try await KubeFixtures.validate(paths)
        #expect(status == 0, "\(report)")
    }

    @Test("a built layout says what the lab needs: stops-itself and home-disk annotations are read back; manifests and class take the run strategy from it and refuse persistent-home for an image without a home disk")
    func fromTheLayout() async throws {
        let scratch = try TemporaryDirectory(prefix: "labforge-lab-layout")
        let disk = scratch.appending("lab.qcow2")
        try await DiskFixtures.makeQcow2(at: disk, randomMiB: 1)
        func pack(_ name: String, annotations: [String: String]) throws -> String {
            let layout = scratch.appending(name)
            _ = try ContainerDiskPacker().package(
                disk: disk, into: layout,
                options: ContainerDiskOptions(name: try RepositoryName("labs/\(name)"), tag: try Tag("1.0"), annotations: annotations))
            return layout
        }
        let lab = try pack("lab", annotations: [AnnotationKey.labStopsItself: "true", AnnotationKey.labHomeDisk: PersistentHome.diskSerial])
        let plain = try pack("plain", annotations: [:])
        let facts = try LayoutFacts(layoutPath: lab)
        #expect(facts.stopsItself && facts.homeDiskSerial == "lab-home")
        #expect(try !LayoutFacts(layoutPath: plain).stopsItself && LayoutFacts(layoutPath: plain).homeDiskSerial == nil)
        func resolved(_ layout: String) throws -> ImageDescription {
            var inputs = ImageInputs()
            inputs.reference = "127.0.0.1:5000/labs/lab:1.0"
            return try ImageDescription.resolve(.layout(path: layout, tag: nil), inputs: inputs).0
        }
        #expect(try resolved(lab).stopsItself && resolved(lab).mountsHomeDisk == true)
        #expect(try !resolved(plain).stopsItself && resolved(plain).mountsHomeDisk == false)
        // A pinned reference is not read: unknown, let through.
        #expect(throws: Never.self) { try KubeFixtures.desktopImage().checkSupports(.persistentHome) }

        // `labforge manifests`: the lab's VMs keep their own power-off without --stop-on-poweroff.
        let written = scratch.appending("lab-manifests")
        let ok = try await Command.labforge(["manifests", lab, "--reference", "127.0.0.1:5000/labs/lab:1.0", "--run-strategy", "Always", "--variant", "persistent-home", "--output", written])
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(try String(contentsOfFile: written + "/virtualmachine-ephemeral.yaml", encoding: .utf8).contains("runStrategy: RerunOnFailure"))
        // An image without PersistentHome: persistent-home is refused by name, nothing written.
        let refusedOutput = scratch.appending("plain-manifests")
        let refused = try await Command.labforge(["manifests", plain, "--reference", "127.0.0.1:5000/labs/plain:1.0", "--variant", "persistent-home", "--output", refusedOutput])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("image plain 1.0 does not mount a home disk (its recipe has no PersistentHome component)"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: refusedOutput))
        // `labforge class` the same way.
        let classOutput = scratch.appending("class")
        let classRefused = try await Command.labforge([
            "class", plain, "--reference", "127.0.0.1:5000/labs/plain:1.0", "--namespace", "cs101", "--student", "alice=alice@school.example",
            "--variant", "persistent-home", "--output", classOutput,
        ])
        #expect(classRefused.status != 0)
        #expect(classRefused.stderr.contains("does not mount a home disk"), "\(classRefused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: classOutput))
    }
}
