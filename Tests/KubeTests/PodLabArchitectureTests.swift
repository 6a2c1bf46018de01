// Where a pod lab may be scheduled: an image of one architecture only on nodes of it (`nodeSelector:
// kubernetes.io/arch`), arm64 alone on arm64 nodes, amd64 alone on amd64 nodes; a multi-architecture image anywhere its
// index has a platform for (no selector). Each Deployment accepted by the strict schemas.
import Foundation
import Kube
import KubeTestSupport
import LabforgeRecipe
import Recipes
import Testing
import TestSupport

@Suite("Pod lab architectures")
struct PodLabArchitectureTests {
    /// The terminal recipe's pod lab, built for `architecture`, its image holding `architectures` (nil: that one).
    static func manifests(_ architecture: Architecture, of architectures: [Architecture]? = nil) throws -> PodLabManifests {
        let recipe = try Recipes.debianTerminal.building(for: architecture)
        return PodLabManifests(
            recipe: recipe, plan: try ContainerPlan(recipe: recipe),
            image: "localhost:5000/labs/debian-terminal-pod:1.0.0@sha256:" + String(repeating: "a", count: 64), uid: 1000, architectures: architectures)
    }

    /// The Deployment's YAML, after the strict schemas accepted it.
    static func validatedDeployment(_ manifests: PodLabManifests) async throws -> String {
        let directory = try TemporaryDirectory(prefix: "labforge-podarch")
        let paths = try ManifestWriter.write(try manifests.files(), to: directory.path).filter { !$0.hasSuffix("kustomization.yaml") }
        let (status, report) = try await KubeFixtures.validate(paths)
        #expect(status == 0, "\(report)")
        return try String(contentsOfFile: directory.appending("deployment.yaml"), encoding: .utf8)
    }

    @Test("an arm64-only image runs on arm64 nodes: nodeSelector kubernetes.io/arch arm64 on the pod template")
    func arm64Only() async throws {
        let manifests = try Self.manifests(.arm64)
        #expect(manifests.architectures == [.arm64])
        #expect(manifests.deployment.spec.template.spec.nodeSelector == ["kubernetes.io/arch": "arm64"])
        let yaml = try await Self.validatedDeployment(manifests)
        #expect(yaml.contains("      nodeSelector:\n        kubernetes.io/arch: arm64\n"), "\(yaml)")
    }

    @Test("an amd64-only image runs on amd64 nodes (a mixed cluster would otherwise place it on arm64)")
    func amd64Only() async throws {
        let manifests = try Self.manifests(.amd64)
        #expect(manifests.deployment.spec.template.spec.nodeSelector == ["kubernetes.io/arch": "amd64"])
        let yaml = try await Self.validatedDeployment(manifests)
        #expect(yaml.contains("      nodeSelector:\n        kubernetes.io/arch: amd64\n"), "\(yaml)")
    }

    @Test("a multi-architecture image (the index's reference) has no selector: each node pulls its own platform; both architectures' sets are the same Deployment")
    func multiArchitecture() async throws {
        let arm = try Self.manifests(.arm64, of: [.amd64, .arm64])
        let amd = try Self.manifests(.amd64, of: [.amd64, .arm64])
        #expect(arm.deployment.spec.template.spec.nodeSelector == nil)
        #expect(arm.deployment.spec.template == amd.deployment.spec.template)
        let yaml = try await Self.validatedDeployment(arm)
        #expect(!yaml.contains("nodeSelector"), "\(yaml)")
    }
}
