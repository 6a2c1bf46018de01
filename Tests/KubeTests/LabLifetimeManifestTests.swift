// Issue 28: a recipe with a LabLifetime gets, without --stop-on-poweroff, the run strategy under which the guest's
// own power-off leaves the VM stopped; strict schemas accept the VMs.
import Foundation
import Kube
import KubeTestSupport
import LabforgeRecipe
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
}
