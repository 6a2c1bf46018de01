// Which install steps move into a bootstrapped base (mmdebstrap on the host), and which stay in the appliance.
import Customize
import Foundation
import LabforgeRecipe
import Recipes
import Testing

@Suite("host package plan")
struct HostPackagePlanTests {
    @Test("debian-desktop: the whole first batch moves to the host, ttyd (repositories, else its pinned .deb) and the Xfce desktop included")
    func desktop() {
        let plan = Recipes.debianDesktop.plan
        let host = HostPackagePlan(plan: plan)
        let titles = host.steps.map { number in plan.first { $0.number == number }!.step.title }
        #expect(titles == [
            "install cloud-init qemu-guest-agent",
            "install ttyd (else ttyd_1.7.7-8_amd64.deb) lrzsz",
            "install tigervnc-standalone-server websockify xauth tigervnc-tools xfce4-session xfwm4 xfce4-panel xfdesktop4 xfce4-settings "
                + "xfce4-appfinder thunar xfce4-terminal mousepad firefox-esr dbus-x11 sensible-utils librsvg2-common tango-icon-theme xclip",
        ])
        #expect(host.packages.contains("tigervnc-standalone-server") && host.packages.contains("cloud-init"))
        // Every package the recipe installs is in that batch: nothing of the desktop is left to the appliance's emulated apt.
        let requested = plan.flatMap { planned -> [String] in
            if case .install(let requests) = planned.step { return requests.map(\.name) } else { return [] }
        }
        #expect(Set(requested) == Set(host.packages + host.pinned.map(\.name)))
        #expect(!host.packages.contains("ttyd"), "a pinned choice is not a plain repository package")
        #expect(host.pinned.map(\.name) == ["ttyd"])
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

        // A pinned .deb moves with its batch; a pinned executable (copied into place) keeps the batch in the appliance.
        let deb = PinnedArtifact(url: "https://example.org/tool.deb", sha256: String(repeating: "0", count: 64))
        let artifactOnly = Recipe(name: "artifact", sysprep: nil) {
            Install([PackageRequest("tool", source: .artifact(deb))])
        }
        #expect(HostPackagePlan(plan: artifactOnly.plan).pinned == [PackageRequest("tool", source: .artifact(deb))])
        let executable = PinnedArtifact(url: "https://example.org/tool", sha256: String(repeating: "1", count: 64), kind: .executable)
        let executableOnly = Recipe(name: "executable", sysprep: nil) {
            Install([PackageRequest("tool", source: .artifact(executable))])
        }
        #expect(HostPackagePlan(plan: executableOnly.plan).isEmpty)
    }
}
