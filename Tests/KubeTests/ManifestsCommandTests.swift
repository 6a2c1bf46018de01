// `labforge manifests` end to end: a layout (or a pinned reference) in, validated YAML out, clear errors.
import Foundation
import Kube
import KubeTestSupport
import OCI
import Testing
import TestSupport

@Suite("labforge manifests")
struct ManifestsCommandTests {
    @Test("from a layout: digest, virtual size and instancetype come from the layout; schemas accept the YAML")
    func fromLayout() async throws {
        let scratch = try TemporaryDirectory(prefix: "labforge-manifests-cli")
        let layout = scratch.appending("layout")
        let digest = try await KubeFixtures.makeLayout(at: layout, virtualSize: 3 << 30)
        let facts = try LayoutFacts(layoutPath: layout)
        #expect(facts.digest == digest)
        #expect(facts.diskVirtualSize == 3 << 30)
        #expect(facts.instancetype == "u1.small")
        let output = scratch.appending("out")
        let result = try await Command.labforge([
            "manifests", layout, "--reference", "127.0.0.1:5000/labs/debian-lab:1.0", "--agent", "terminal", "--agent", "desktop:6080",
            "--credentials-secret", "lab-credentials", "--namespace", "labs", "--output", output, "--json",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        struct Output: Decodable {
            var image: String
            var files: [String]
            var paths: [String: String]
        }
        let parsed = try JSONDecoder().decode(Output.self, from: result.stdoutData)
        #expect(parsed.image == "127.0.0.1:5000/labs/debian-lab@\(digest)")
        #expect(parsed.files.count == 8)  // no --host: no Service, no routes; always a NetworkPolicy
        #expect(result.stderr.contains("note: no RoleBinding: no identity was given"), "\(result.stderr)")
        #expect(parsed.paths["terminal"] == "/debian-lab/terminal/")
        let dataVolume = try String(contentsOfFile: "\(output)/datavolume.yaml", encoding: .utf8)
        #expect(dataVolume.contains("url: docker://127.0.0.1:5000/labs/debian-lab@\(digest)"))
        #expect(dataVolume.contains("storage: 4Gi"))  // 3 GiB / 0.945 → 3.17 → 4
        #expect(dataVolume.contains("default-instancetype: u1.small"))
        let cron = try String(contentsOfFile: "\(output)/dataimportcron.yaml", encoding: .utf8)
        #expect(cron.contains("url: docker://127.0.0.1:5000/labs/debian-lab:1.0"))
        let (status, report) = try await KubeFixtures.validate(parsed.files)
        #expect(status == 0, "\(report)")
        // No temporary files are left beside the output.
        let names = try FileManager.default.contentsOfDirectory(atPath: output).sorted()
        #expect(names.count == 8)
        #expect(names.allSatisfy { $0.hasSuffix(".yaml") })
    }

    @Test("from a pinned reference with options (no network); refused without digest or size")
    func fromReference() async throws {
        let scratch = try TemporaryDirectory(prefix: "labforge-manifests-ref")
        let reference = "registry.example.org/labs/ubuntu-terminal:24.04@\(KubeFixtures.digest)"
        let ok = try await Command.labforge(["manifests", reference, "--virtual-size", "\(8 << 30)", "--run-strategy", "Always", "--output", scratch.path])
        #expect(ok.status == 0, "\(ok.stderr)")
        let vm = try String(contentsOfFile: scratch.appending("virtualmachine-ephemeral.yaml"), encoding: .utf8)
        #expect(vm.contains("name: ubuntu-terminal-ephemeral"))
        #expect(vm.contains("runStrategy: Always"))
        let noDigest = try await Command.labforge(["manifests", "registry.example.org/labs/x:1", "--virtual-size", "1", "--output", scratch.path])
        #expect(noDigest.status != 0)
        #expect(noDigest.stderr.contains("has no digest"))
        let noSize = try await Command.labforge(["manifests", reference, "--output", scratch.path])
        #expect(noSize.status != 0)
        #expect(noSize.stderr.contains("virtual size is unknown"))
        let tooLong = try await Command.labforge([
            "manifests", reference, "--virtual-size", "1", "--name", String(repeating: "x", count: 60), "--output", scratch.path,
        ])
        #expect(tooLong.status != 0)
        #expect(tooLong.stderr.contains("more than 63"), "\(tooLong.stderr)")
    }

    @Test("routes: --host alone is refused (Gateway needed, then TLS/auth); --gateway + --auth-header + --access-user writes an HTTPRoute admitting only that user")
    func routes() async throws {
        let scratch = try TemporaryDirectory(prefix: "labforge-manifests-routes")
        let image = ["manifests", "registry.example.org/labs/debian-lab:1.0@\(KubeFixtures.digest)", "--virtual-size", "\(4 << 30)"]
        let noGateway = try await Command.labforge(image + ["--host", "labs.example.org", "--output", scratch.appending("a")])
        #expect(noGateway.status != 0 && noGateway.stderr.contains("invalid --gateway '(none)'"), "\(noGateway.stderr)")
        let open = try await Command.labforge(image + ["--host", "labs.example.org", "--gateway", "gw/labs", "--output", scratch.appending("b")])
        #expect(open.status != 0 && open.stderr.contains("without authentication (--auth-header NAME set by a proxy in front of the Gateway, or --auth-service NAMESPACE/NAME:PORT)"), "\(open.stderr)")
        let ingress = try await Command.labforge(image + ["--routing", "ingress", "--host", "labs.example.org", "--output", scratch.appending("c")])
        #expect(ingress.status != 0 && ingress.stderr.contains("without TLS (--tls-secret NAME)"), "\(ingress.stderr)")
        let system = try await Command.labforge(image + ["--access-user", "group:system:authenticated", "--output", scratch.appending("d")])
        #expect(system.status != 0 && system.stderr.contains("is one Kubernetes reserves"), "\(system.stderr)")
        let output = scratch.appending("ok")
        let ok = try await Command.labforge(image + [
            "--namespace", "labs", "--instance", "alice", "--host", "labs.example.org", "--gateway", "gateways/labs", "--auth-header", "X-Forwarded-User",
            "--access-user", "alice@school.example", "--output", output,
        ])
        #expect(ok.status == 0, "\(ok.stderr)")
        let names = try FileManager.default.contentsOfDirectory(atPath: output).sorted()
        #expect(names.contains("httproute.yaml") && names.contains("networkpolicy.yaml") && !names.contains("ingress.yaml"), "\(names)")
        let (status, report) = try await KubeFixtures.validate(names.map { "\(output)/\($0)" })
        #expect(status == 0, "\(report)")
        let gateway = GatewayModel(routes: try await KubeFixtures.documents("\(output)/httproute.yaml"))
        #expect(gateway.backends(host: "labs.example.org", path: "/debian-lab-alice/terminal/", headers: ["X-Forwarded-User": "mallory"]).isEmpty)
        #expect(gateway.backends(host: "labs.example.org", path: "/debian-lab-alice/terminal/", headers: ["X-Forwarded-User": "alice@school.example"]) == ["debian-lab-alice:7681"])
        let access = try String(contentsOfFile: "\(output)/access.yaml", encoding: .utf8)
        #expect(access.contains("kind: RoleBinding") && access.contains("name: alice@school.example") && !access.contains("name: student"))
    }

    @Test("a layout without labforge's virtual-size annotation needs --virtual-size")
    func layoutWithoutSize() async throws {
        let scratch = try TemporaryDirectory(prefix: "labforge-manifests-nosize")
        let layout = scratch.appending("layout")
        _ = try await KubeFixtures.makeLayout(at: layout, virtualSize: nil)
        let result = try await Command.labforge(["manifests", layout, "--reference", "127.0.0.1:5000/labs/a:1.0", "--output", scratch.appending("o")])
        #expect(result.status != 0)
        #expect(result.stderr.contains("--virtual-size"), "\(result.stderr)")
    }
}

@Suite("labforge catalog add from a layout")
struct CatalogFromLayoutTests {
    @Test("the entry takes digest, sizes, build time and instancetype from the layout and validates against the schema")
    func addLayout() async throws {
        let scratch = try TemporaryDirectory(prefix: "labforge-catalog-layout")
        let layout = scratch.appending("layout")
        let digest = try await KubeFixtures.makeLayout(at: layout, virtualSize: 3 << 30)
        let facts = try LayoutFacts(layoutPath: layout)
        let catalog = scratch.appending("images/catalog.json")
        let result = try await Command.labforge([
            "catalog", "add", "\(layout):1.0", "--reference", "127.0.0.1:5000/labs/debian-lab:1.0", "--agent", "desktop",
            "--recipe-fingerprint", "sha256:" + String(repeating: "5", count: 64), "--verification", "failed",
            "--verification-summary", "noVNC did not answer", "--catalog", catalog,
        ])
        #expect(result.status == 0, "\(result.stderr)")
        struct Catalog: Decodable {
            struct Entry: Decodable {
                struct Registry: Decodable { var digest: String; var pinned: String }
                struct Sizes: Decodable { var compressed: Int64; var virtual: Int64 }
                struct Build: Decodable { var time: String; var recipeFingerprint: String }
                var name: String
                var displayName: String
                var instancetype: String
                var registry: Registry
                var sizes: Sizes
                var build: Build
            }
            var images: [Entry]
        }
        let parsed = try JSONDecoder().decode(Catalog.self, from: Data(contentsOf: URL(fileURLWithPath: catalog)))
        let entry = try #require(parsed.images.first)
        #expect(entry.name == "debian-lab")
        #expect(entry.displayName == "Debian lab")
        #expect(entry.instancetype == "u1.small")
        #expect(entry.registry.digest == digest.description)
        #expect(entry.registry.pinned == "127.0.0.1:5000/labs/debian-lab@\(digest)")
        #expect(entry.sizes.virtual == 3 << 30)
        #expect(entry.sizes.compressed == facts.compressedSize)
        #expect(entry.build.time == "2026-11-25T12:00:00Z")
        let schema = KubeFixtures.directory.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("schemas/catalog.schema.json").path
        let validation = try await Command.run(["python3", KubeFixtures.directory.appendingPathComponent("validate.py").path, "--schema", schema, catalog])
        #expect(validation.status == 0, "\(validation.stdout)")
        let page = try String(contentsOfFile: scratch.appending("images/index.html"), encoding: .utf8)
        #expect(page.contains("verification: failed"))
    }
}
