// Every emitted manifest against the strict upstream schemas (Kubernetes, Gateway API, KubeVirt, CDI), via Python's jsonschema.
import Foundation
import Kube
import KubeTestSupport
import Testing
import TestSupport

@Suite("Manifests validate against the strict schemas")
struct ManifestSchemaTests {
    func writeAndValidate(_ set: ManifestSet, in directory: TemporaryDirectory) async throws -> (paths: [String], status: Int32, report: String) {
        let paths = try ManifestWriter.write(try set.files(), to: directory.path)
        let (status, report) = try await KubeFixtures.validate(paths)
        return (paths, status, report)
    }

    @Test("desktop image with instancetype, Secret, namespace, host, protected routes of both kinds: every document is accepted")
    func richImage() async throws {
        var settings = ManifestSettings(
            namespace: "labs", host: "labs.example.org", ingressClassName: "nginx", gatewayName: "labs", gatewayNamespace: "gateways",
            accessSubject: AccessSubject(kind: .user, name: "alice@school.example"), routes: RouteProtection(authentication: .proxyHeader("X-Forwarded-User")))
        let directory = try TemporaryDirectory(prefix: "labforge-manifests")
        let result = try await writeAndValidate(try ManifestSet(image: KubeFixtures.desktopImage(), settings: settings), in: directory)
        #expect(result.status == 0, "\(result.report)")
        #expect(result.paths.count == 10)
        // 11 documents: access.yaml holds Role + RoleBinding; one HTTPRoute with a header match per agent.
        #expect(result.report.components(separatedBy: "\"errors\": []").count - 1 == 11)
        #expect(result.paths.contains { $0.hasSuffix("/httproute.yaml") } && !result.paths.contains { $0.hasSuffix("/ingress.yaml") })
        settings.routing = .ingress
        settings.routes = RouteProtection(
            tlsSecret: "labs-tls",
            authentication: .external(url: "http://auth.auth.svc/check?allowed={identity}", signin: "https://labs.example.org/login", responseHeader: "X-User"))
        let ingressDirectory = try TemporaryDirectory(prefix: "labforge-manifests")
        let ingress = try await writeAndValidate(try ManifestSet(image: KubeFixtures.desktopImage(), settings: settings), in: ingressDirectory)
        #expect(ingress.status == 0, "\(ingress.report)")
        // 12 documents: ingress.yaml holds one Ingress per agent.
        #expect(ingress.report.components(separatedBy: "\"errors\": []").count - 1 == 12)
    }

    @Test("bare image: no agents, no instancetype, explicit resources; every document is accepted")
    func bareImage() async throws {
        let directory = try TemporaryDirectory(prefix: "labforge-manifests")
        let result = try await writeAndValidate(try ManifestSet(image: KubeFixtures.bareImage(), settings: ManifestSettings(runStrategy: .always)), in: directory)
        #expect(result.status == 0, "\(result.report)")
        let vm = try String(contentsOfFile: result.paths.first { $0.hasSuffix("virtualmachine-ephemeral.yaml") }!, encoding: .utf8)
        #expect(vm.contains("cores: 2"))
        #expect(vm.contains("memory: 2Gi"))
        #expect(!vm.contains("readinessProbe"))
    }

    @Test("per-user session with a rewritten prefix and a terminal built with a base path: accepted")
    func sessionWithBasePath() async throws {
        var image = KubeFixtures.desktopImage()
        image.agents = [ExposedAgent(kind: .terminal, port: 7681, basePath: "/lab/terminal/")]
        var settings = ManifestSettings(
            instance: "alice", pathPrefix: "lab", host: "labs.example.org", gatewayName: "labs", gatewayNamespace: "gateways", routing: .httproute, variant: .persistent,
            routes: RouteProtection(allowUnprotected: true))
        let set = try ManifestSet(image: image, settings: settings)
        let directory = try TemporaryDirectory(prefix: "labforge-manifests")
        let result = try await writeAndValidate(set, in: directory)
        #expect(result.status == 0, "\(result.report)")
        // The base path equals the public prefix: no rewrite needed.
        settings.routing = .ingress
        #expect(try ManifestSet(image: image, settings: settings).ingresses[0].spec.rules[0].http.paths[0].pathType == "Prefix")
        #expect(set.httpRoute?.spec.rules[0].filters == nil)
        let kustomization = try String(contentsOfFile: result.paths.last!, encoding: .utf8)
        #expect(kustomization.contains("virtualmachine-persistent.yaml"))
        #expect(kustomization.contains("- httproute.yaml"))
        #expect(!kustomization.contains("- ingress.yaml"))
    }

    @Test("the validator is strict: an unknown field or a wrong type is rejected")
    func validatorRejectsBrokenManifests() async throws {
        let set = try ManifestSet(image: KubeFixtures.desktopImage())
        let directory = try TemporaryDirectory(prefix: "labforge-broken")
        let good = try set.dataVolumeYAML()
        let unknownField = good.replacingOccurrences(of: "  source:\n", with: "  sourcez: {}\n  source:\n")
        let wrongType = try ManifestSet.yaml([set.ephemeralVM]).replacingOccurrences(of: "terminationGracePeriodSeconds: 30", with: "terminationGracePeriodSeconds: soon")
        let wrongKind = good.replacingOccurrences(of: "kind: DataVolume", with: "kind: DataVolumes")
        var paths: [String] = []
        for (name, text) in [("unknown.yaml", unknownField), ("type.yaml", wrongType), ("kind.yaml", wrongKind)] {
            #expect(text != good)
            let path = directory.appending(name)
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            paths.append(path)
        }
        for path in paths {
            let (status, report) = try await KubeFixtures.validate([path])
            #expect(status == 1, "\(path) was accepted: \(report)")
        }
    }
}
