// The pod lab's manifests (Deployment, Service, NetworkPolicy, Role) against the strict upstream schemas, and their hardening.
import Foundation
import Kube
import KubeTestSupport
import LabforgeRecipe
import Recipes
import Testing
import TestSupport

@Suite("Pod lab manifests")
struct PodLabManifestTests {
    func manifests() throws -> PodLabManifests {
        let recipe = Recipes.debianDesktop
        return PodLabManifests(
            recipe: recipe, plan: try ContainerPlan(recipe: recipe),
            image: "localhost:5000/labs/debian-desktop-pod:1.0.0@sha256:" + String(repeating: "a", count: 64), uid: 1000)
    }

    @Test("every document is accepted by the strict schemas (apps/v1 Deployment, Service, NetworkPolicy, Role)")
    func strictSchemas() async throws {
        let directory = try TemporaryDirectory(prefix: "labforge-podlab")
        let paths = try ManifestWriter.write(try manifests().files(), to: directory.path).filter { !$0.hasSuffix("kustomization.yaml") }
        let (status, report) = try await KubeFixtures.validate(paths)
        #expect(status == 0, "\(report)")
        #expect(report.components(separatedBy: "\"errors\": []").count - 1 == 4)
    }

    @Test("the validator rejects a misspelt securityContext field in the Deployment")
    func strictnessProven() async throws {
        let directory = try TemporaryDirectory(prefix: "labforge-podlab-broken")
        let yaml = try manifests().files().first { $0.name == "deployment.yaml" }!.contents
            .replacingOccurrences(of: "allowPrivilegeEscalation: false", with: "allowPrivilegeEscalations: false")
        let path = directory.appending("deployment.yaml")
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        let (status, report) = try await KubeFixtures.validate([path])
        #expect(status != 0)
        #expect(report.contains("allowPrivilegeEscalations"))
    }

    @Test("hardened pod: non-root uid 1000, no escalation, ALL dropped, seccomp, Secret 0440 at the credentials path, no token")
    func hardening() throws {
        let deployment = try manifests().deployment
        let pod = deployment.spec.template.spec
        let container = pod.containers[0]
        #expect(pod.securityContext.runAsNonRoot && pod.securityContext.runAsUser == 1000 && pod.securityContext.fsGroup == 1000)
        #expect(pod.securityContext.seccompProfile.type == "RuntimeDefault")
        #expect(!pod.automountServiceAccountToken)
        #expect(!container.securityContext.allowPrivilegeEscalation && container.securityContext.capabilities.drop == ["ALL"])
        #expect(container.volumeMounts.map(\.mountPath) == [BootCredentials.runtimeDirectory] && container.volumeMounts[0].readOnly)
        #expect(pod.volumes[0].secret.secretName == "debian-desktop-credentials" && pod.volumes[0].secret.defaultMode == 0o440)
        #expect(container.ports.map(\.containerPort) == [7681, 6080])
        #expect(container.resources.requests["memory"] == "2048Mi")
        let policy = try manifests().networkPolicy
        // No route is written by the build: nothing may connect (was: the whole ingress-nginx namespace could).
        #expect(policy.spec.ingress == nil && policy.spec.policyTypes.contains("Ingress"))
        var proxied = try manifests()
        proxied.ingressNamespace = "gateway-system"
        #expect(proxied.networkPolicy.spec.ingress?.first?.ports?.map(\.port) == [7681, 6080])
        #expect(policy.spec.egress?.last?.to.first?.ipBlock?.except?.contains("169.254.0.0/16") == true)
    }
}
