// Issue 28's manifest side: readiness probes, a run strategy that leaves a powered-off guest stopped, the persistent-home
// variant; every document through the strict upstream schemas.
import Foundation
import Kube
import KubeTestSupport
import LabforgeRecipe
import Testing
import TestSupport

@Suite("Lab lifecycle manifests: readiness, stop on power-off, persistent home")
struct LabLifecycleManifestTests {
    @Test("readiness: the terminal first (TCP with credentials, GET without), else the desktop, else guestAgentPing; none without either; strict schema accepts")
    func readinessProbes() async throws {
        let withCredentials = try ManifestSet(image: KubeFixtures.desktopImage()).ephemeralVM.spec.template.spec.readinessProbe
        #expect(withCredentials?.tcpSocket?.port == 7681 && withCredentials?.httpGet == nil && withCredentials?.guestAgentPing == nil)

        var desktopOnly = KubeFixtures.desktopImage()
        desktopOnly.credentialsSecret = nil
        desktopOnly.agents = [ExposedAgent(kind: .desktop, port: 6080)]
        desktopOnly.guestAgent = true
        let desktop = try ManifestSet(image: desktopOnly).ephemeralVM.spec.template.spec.readinessProbe
        #expect(desktop?.httpGet?.port == 6080 && desktop?.guestAgentPing == nil)  // one handler per probe: the agent wins

        var agentOnly = KubeFixtures.bareImage()
        agentOnly.guestAgent = true
        let set = try ManifestSet(image: agentOnly, settings: ManifestSettings(variant: .persistentHome))
        for vm in [set.ephemeralVM, set.persistentVM, try #require(set.persistentHomeVM)] {
            let probe = try #require(vm.spec.template.spec.readinessProbe)
            #expect(probe.guestAgentPing != nil && probe.httpGet == nil && probe.tcpSocket == nil)
        }
        #expect(try ManifestSet(image: KubeFixtures.bareImage()).ephemeralVM.spec.template.spec.readinessProbe == nil)

        let directory = try TemporaryDirectory(prefix: "labforge-readiness")
        let paths = try ManifestWriter.write(try set.files(), to: directory.path)
        let vmText = try String(contentsOfFile: try #require(paths.first { $0.hasSuffix("/virtualmachine-ephemeral.yaml") }), encoding: .utf8)
        #expect(vmText.contains("guestAgentPing: {}"))
        let (status, report) = try await KubeFixtures.validate(paths)
        #expect(status == 0, "\(report)")
    }

    @Test("a recipe's CloudInit(guestAgent:) is what runsGuestAgent reads")
    func recipeGuestAgent() {
        let with = Recipe(name: "with-agent") { CloudInit() }
        let without = Recipe(name: "without-agent") { CloudInit(guestAgent: false) }
        #expect(ImageDescription.runsGuestAgent(with))
        #expect(!ImageDescription.runsGuestAgent(without))
    }

    @Test("stop on power-off: Halted becomes Manual, Always becomes RerunOnFailure, on every VM; off, the strategy is as given")
    func stopOnPowerOff() throws {
        #expect(RunStrategy.allCases.map(\.keepingGuestPowerOff) == [.rerunOnFailure, .manual, .manual, .rerunOnFailure, .once])
        for (given, expected) in [(RunStrategy.halted, "Manual"), (.always, "RerunOnFailure")] {
            var settings = ManifestSettings(runStrategy: given, variant: .persistentHome)
            settings.stopOnPowerOff = true
            let set = try ManifestSet(image: KubeFixtures.desktopImage(), settings: settings)
            for vm in [set.ephemeralVM, set.persistentVM, try #require(set.persistentHomeVM)] {
                #expect(vm.spec.runStrategy == expected)
            }
            settings.stopOnPowerOff = false
            #expect(try ManifestSet(image: KubeFixtures.desktopImage(), settings: settings).ephemeralVM.spec.runStrategy == given.rawValue)
        }
    }

    @Test("persistent-home: containerDisk system, the blank <session>-home PVC by claim name with serial lab-home; listed alone; schemas accept")
    func persistentHome() async throws {
        var settings = ManifestSettings(namespace: "labs", instance: "alice", variant: .persistentHome)
        settings.homeSize = "8Gi"
        let set = try ManifestSet(image: KubeFixtures.desktopImage(), settings: settings)
        let vm = try #require(set.persistentHomeVM)
        #expect(vm.metadata.name == "debian-desktop-alice-persistent-home")
        let volumes = vm.spec.template.spec.volumes
        #expect(volumes.first { $0.name == "rootdisk" }?.containerDisk?.image == "registry.example.org/labs/debian-desktop@\(KubeFixtures.digest)")
        #expect(volumes.first { $0.name == "home" }?.persistentVolumeClaim?.claimName == "debian-desktop-alice-home")
        #expect(vm.spec.template.spec.domain.devices.disks.first { $0.name == "home" }?.serial == PersistentHome.diskSerial)
        #expect(vm.spec.dataVolumeTemplates == nil)  // the home is not owned by the VM: deleting the VM keeps it
        #expect(vm.spec.template.metadata.labels?["labforge.dev/variant"] == "persistent-home")
        let home = try #require(set.homeDataVolume)
        #expect(home.metadata.name == "debian-desktop-alice-home")
        #expect(home.spec.source?.blank != nil && home.spec.source?.registry == nil)
        #expect(home.spec.storage.resources.requests["storage"] == "8Gi")
        #expect(home.metadata.labels?["labforge.dev/disk"] == "home")
        #expect(home.metadata.labels?["app.kubernetes.io/instance"] == nil)  // never selected by the Service
        #expect(set.role.rules[0].resourceNames?.contains("debian-desktop-alice-persistent-home") == true)

        let files = try set.files()
        let kustomization = try #require(files.first { $0.name == "kustomization.yaml" }).contents
        #expect(kustomization.contains("- home-datavolume.yaml") && kustomization.contains("- virtualmachine-persistent-home.yaml"))
        #expect(!kustomization.contains("- virtualmachine-ephemeral.yaml") && !kustomization.contains("- virtualmachine-persistent.yaml"))
        let directory = try TemporaryDirectory(prefix: "labforge-home")
        let paths = try ManifestWriter.write(files, to: directory.path)
        let (status, report) = try await KubeFixtures.validate(paths)
        #expect(status == 0, "\(report)")

        // The other variants write neither file.
        let plain = try ManifestSet(image: KubeFixtures.desktopImage(), settings: ManifestSettings(variant: .persistent)).files().map(\.name)
        #expect(!plain.contains("home-datavolume.yaml") && !plain.contains("virtualmachine-persistent-home.yaml"))
    }

    @Test("through the binary: --no-agents --guest-agent --variant persistent-home --stop-on-poweroff --run-strategy Always; a bad --variant and --home-size are refused")
    func commandLine() async throws {
        let scratch = try TemporaryDirectory(prefix: "labforge-manifests-life")
        let reference = "registry.example.org/labs/server:1.0@\(KubeFixtures.digest)"
        let ok = try await Command.labforge([
            "manifests", reference, "--virtual-size", "\(4 << 30)", "--no-agents", "--guest-agent", "--variant", "persistent-home",
            "--stop-on-poweroff", "--run-strategy", "Always", "--home-size", "2Gi", "--output", scratch.path,
        ])
        #expect(ok.status == 0, "\(ok.stderr)")
        let vm = try String(contentsOfFile: scratch.appending("virtualmachine-persistent-home.yaml"), encoding: .utf8)
        #expect(vm.contains("name: server-persistent-home") && vm.contains("runStrategy: RerunOnFailure") && vm.contains("guestAgentPing: {}"))
        #expect(try String(contentsOfFile: scratch.appending("home-datavolume.yaml"), encoding: .utf8).contains("storage: 2Gi"))
        let yaml = try FileManager.default.contentsOfDirectory(atPath: scratch.path).filter { $0.hasSuffix(".yaml") }.map(scratch.appending)
        let (status, report) = try await KubeFixtures.validate(yaml)
        #expect(status == 0, "\(report)")
        let variant = try await Command.labforge(["manifests", reference, "--virtual-size", "1", "--variant", "home", "--output", scratch.path])
        #expect(variant.status != 0 && variant.stderr.contains("expected ephemeral, persistent, persistent-home"), "\(variant.stderr)")
        let size = try await Command.labforge(["manifests", reference, "--virtual-size", "1", "--home-size", "lots", "--output", scratch.path])
        #expect(size.status != 0 && size.stderr.contains("--home-size"), "\(size.stderr)")
    }

    @Test("the strict schemas reject a misspelt home volume and an unknown DataVolume source field")
    func strictHomeSchemas() async throws {
        let set = try ManifestSet(image: KubeFixtures.desktopImage(), settings: ManifestSettings(variant: .persistentHome))
        let directory = try TemporaryDirectory(prefix: "labforge-home-strict")
        let cases = [
            ("vm.yaml", try ManifestSet.yaml([try #require(set.persistentHomeVM)]).replacingOccurrences(of: "claimName:", with: "claim:"), "claim"),
            ("dv.yaml", try ManifestSet.yaml([try #require(set.homeDataVolume)]).replacingOccurrences(of: "blank: {}", with: "blank: {}\n    empty: {}"), "empty"),
        ]
        for (name, text, field) in cases {
            let path = directory.appending(name)
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            let (status, report) = try await KubeFixtures.validate([path])
            #expect(status == 1, "\(name) with '\(field)' was accepted: \(report)")
        }
    }
}
