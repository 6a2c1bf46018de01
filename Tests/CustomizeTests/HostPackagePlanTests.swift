// Which install steps move into a bootstrapped base (mmdebstrap on the host), and which stay in the appliance.
import Customize
import Foundation
import LabforgeRecipe
import Recipes
import Testing

@Suite("host package plan")
struct HostPackagePlanTests {
    @Test("debian-desktop: the first batch's repository packages move to the host; ttyd (else a pinned .deb) stays")
    func desktop() {
        let plan = Recipes.debianDesktop.plan
        let host = HostPackagePlan(plan: plan)
        let titles = host.steps.map { number in plan.first { $0.number == number }!.step.title }
        #expect(titles == [
            "install cloud-init qemu-guest-agent",
            "install tigervnc-standalone-server websockify tigervnc-tools matchbox-window-manager xterm",
        ])
        #expect(host.packages.contains("tigervnc-standalone-server") && host.packages.contains("cloud-init"))
        #expect(!host.packages.contains("ttyd"))
    }

    @Test("nothing moves when a step that is not disk growth comes before the first install, or a script splits the batch")
    func ordering() {
        let scriptFirst = Recipe(name: "script-first", sysprep: nil) {
            Run("echo deb http://example.org/ ./ > /etc/apt/sources.list.d/x.list")
            Install("curl")
        }
        #expect(HostPackagePlan(plan: scriptFirst.plan).isEmpty)

        let split = Recipe(name: "split", sysprep: nil) {
            Install("curl")
            WriteFile("/etc/motd", contents: "hi")
            Install("vim")
            Run("true")
            Install("git")
        }
        let host = HostPackagePlan(plan: split.plan)
        #expect(host.steps == [1, 3])
        #expect(host.packages == ["curl", "vim"])

        let artifactOnly = Recipe(name: "artifact", sysprep: nil) {
            Install([PackageRequest("tool", source: .artifact(PinnedArtifact(url: "https://example.org/tool.deb", sha256: String(repeating: "0", count: 64))))])
        }
        #expect(HostPackagePlan(plan: artifactOnly.plan).isEmpty)
    }
}
