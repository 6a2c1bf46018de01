// `labforge build --arch amd64 --arch arm64` end to end: debian-terminal built for both architectures on this amd64
// host (arm64 customized in a host root tree under qemu-user, booted under AAVMF with every probe), pushed to a real
// registry as one OCI index that skopeo reads, its SBOMs attached to the index and to each manifest, everything signed
// (the real cosign verifies), each architecture's manifests pinned to the index; the pod image of the same recipe built
// for both the same way (arm64's root tree under qemu-user, run and probed in namespaces); the second run does nothing.
import Foundation
import LabforgeRecipe
import Pipeline
import Testing
import TestSupport

@Suite("labforge build for amd64 and arm64", .serialized)
struct MultiArchBuildTests {
    @Test(.timeLimit(.minutes(80)), .bootsVM)
    func terminalForBothArchitecturesUnderOneIndex() async throws {
        // The shared arm64 base first, through the fixture (one VM slot for the bootstrap, shared with Arm64VerifyTests):
        // the build below holds a slot and must not spend it waiting for the base.
        _ = try await SharedDebianBase.resolvedArm64()
        let directory = try TemporaryDirectory()
        let cache = try await BuildPipelineTests.cache(in: directory)
        let output = directory.appending("images")
        let registry = try LocalRegistry()
        defer { registry.stop() }
        let key = directory.appending("k.pem")
        try await Command.check(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key])
        try await Command.check(["openssl", "ec", "-in", key, "-pubout", "-out", directory.appending("k.pub")])
        let environment = ["SOURCE_DATE_EPOCH": "1764115200", "LABFORGE_TEST_CACHE": TestBase.cacheDirectory]
        let arguments = [
            "build", "debian-terminal", "--target", "vm", "--target", "container", "--arch", "amd64", "--arch", "arm64", "--output", output, "--cache-dir", cache,
            "--push", "\(registry.address)/labs", "--sign-key", key, "--json",
        ]
        let first = try await Command.labforge(arguments, environment: environment)
        #expect(first.status == 0, "labforge build failed:\n\(first.stderr.suffix(4000))")
        let report = try JSONDecoder().decode(BuildReport.self, from: first.stdoutData)
        #expect(report.failed == 0, "\(report.table)")
        #expect(report.images.map(\.architecture) == [.amd64, .arm64, .amd64, .arm64])
        #expect(report.images.map(\.kind) == [.vm, .vm, .container, .container])
        let arm = report.images[1]
        #expect(arm.status == .built, "\(arm.error?.message ?? "")")
        #expect(arm.directory == output + "/debian-terminal/1.0.0/arm64")
        // Every probe answered on the arm64 guest booted under AAVMF (UEFI, no Secure Boot: all arm64 nodes offer).
        #expect(arm.verification.status == "passed", "\(arm.verification.summary)")
        #expect(arm.firmware?.claimed == [.uefi])
        #expect(arm.firmware?.status(of: .uefi) == .verified)
        let customize = try #require(arm.stages.first { $0.stage == .customize })
        #expect(customize.detail.contains("arm64 root tree"), "\(customize.detail)")
        // Each architecture's manifest is in the registry by digest alone; the index takes the tags.
        #expect(report.images.allSatisfy { $0.pushed?.tags.isEmpty == true })
        #expect(report.indexes?.map(\.kind) == [.vm, .container])
        let index = try #require(report.indexes?.first)
        #expect(index.status == .built, "\(index.error ?? "")")
        #expect(index.architectures == [.amd64, .arm64])
        let indexDigest = try #require(index.digest)
        #expect(Set(index.pushed?.tags ?? []) == ["1.0.0", "1.0.0-202511260000", "latest"])
        let raw = try await Command.check(["skopeo", "inspect", "--raw", "--tls-verify=false", "docker://\(registry.address)/labs/debian-terminal:1.0.0"])
        let indexJSON = try #require(try JSONSerialization.jsonObject(with: Data(raw.stdout.utf8)) as? [String: Any])
        #expect(indexJSON["mediaType"] as? String == "application/vnd.oci.image.index.v1+json")
        let platforms = (indexJSON["manifests"] as? [[String: Any]] ?? []).compactMap { ($0["platform"] as? [String: Any])?["architecture"] as? String }
        #expect(platforms == ["amd64", "arm64"])
        let armConfig = try await Command.check([
            "skopeo", "inspect", "--config", "--tls-verify=false", "--override-arch", "arm64", "--override-os", "linux",
            "docker://\(registry.address)/labs/debian-terminal:1.0.0"])
        #expect(armConfig.stdout.contains("\"architecture\": \"arm64\""), "\(armConfig.stdout)")
        // The index is signed and carries both SBOMs as referrers; so does each architecture's manifest.
        let home = directory.appending("home")
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        let cosignEnvironment = ["HOME": home, "DOCKER_CONFIG": home + "/.docker"]
        let repository = "\(registry.address)/labs/debian-terminal"
        for digest in [indexDigest] + report.images.filter({ $0.kind == .vm }).compactMap(\.manifestDigest) {
            let verified = try await Command.run(
                [try PeerTools.path("cosign"), "verify", "--key", directory.appending("k.pub"), "--insecure-ignore-tlog=true", "--allow-insecure-registry",
                 "\(repository)@\(digest)"], environment: cosignEnvironment)
            #expect(verified.status == 0, "\(digest): \(verified.stderr)")
        }
        let discovered = try await Command.check([try PeerTools.path("oras"), "discover", "--plain-http", "--format", "json", "\(repository)@\(indexDigest)"])
        #expect(discovered.stdout.components(separatedBy: "application/spdx+json").count - 1 >= 2, "\(discovered.stdout)")
        // arm64's manifests run it as arm64 with EFI firmware (no Secure Boot), pinned to the index.
        let armManifests = output + "/debian-terminal/1.0.0/arm64/manifests"
        let vm = try String(contentsOfFile: armManifests + "/virtualmachine-ephemeral.yaml", encoding: .utf8)
        #expect(vm.contains("architecture: arm64") && vm.contains("secureBoot: false"), "\(vm)")
        let dataVolume = try String(contentsOfFile: armManifests + "/datavolume.yaml", encoding: .utf8)
        #expect(dataVolume.contains(indexDigest), "\(dataVolume)")
        // The pod image joined an index of its own the same way: arm64 ran and answered its probes in namespaces under
        // qemu-user; its Deployment names the index, which the node resolves to its own platform.
        let podArm = report.images[3]
        #expect(podArm.status == .built && podArm.verification.status == "passed", "\(podArm.error?.message ?? podArm.verification.summary)")
        let podIndex = try #require(report.indexes?.last)
        #expect(podIndex.status == .built && podIndex.architectures == [.amd64, .arm64], "\(podIndex.error ?? "")")
        let podRaw = try await Command.check(["skopeo", "inspect", "--raw", "--tls-verify=false", "docker://\(registry.address)/labs/debian-terminal-pod:1.0.0"])
        let podIndexJSON = try #require(try JSONSerialization.jsonObject(with: Data(podRaw.stdout.utf8)) as? [String: Any])
        #expect((podIndexJSON["manifests"] as? [[String: Any]] ?? []).compactMap { ($0["platform"] as? [String: Any])?["architecture"] as? String }
            == ["amd64", "arm64"], "\(podRaw.stdout)")
        let deployment = try String(contentsOfFile: output + "/debian-terminal/1.0.0/container/arm64/manifests/deployment.yaml", encoding: .utf8)
        #expect(deployment.contains("debian-terminal-pod:1.0.0@\(try #require(podIndex.digest))"), "\(deployment)")
        #expect(!deployment.contains("nodeSelector"), "a multi-architecture pod lab runs on either architecture's nodes: \(deployment)")
        let catalog = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: output + "/catalog.json"))) as? [String: Any])
        let entries = catalog["images"] as? [[String: Any]] ?? []
        #expect(entries.count == 2)
        #expect(entries.allSatisfy { $0["architectures"] as? [String] == ["amd64", "arm64"] }, "\(entries)")

        // Warm: nothing to do for either image, the index as before.
        let second = try await Command.labforge(arguments, environment: environment)
        #expect(second.status == 0, "second build failed:\n\(second.stderr.suffix(4000))")
        let again = try JSONDecoder().decode(BuildReport.self, from: second.stdoutData)
        #expect(again.images.map(\.status) == [.unchanged, .unchanged, .unchanged, .unchanged])
        #expect(again.indexes?.first?.digest == indexDigest)
        #expect(again.indexes?.map(\.status) == [.unchanged, .unchanged])
        #expect(again.catalogUpdated == false)
    }
}
