// An SBOM attached to a pushed image as an OCI 1.1 referrer, found and pulled back by the real `oras` (Debian 13).
import Foundation
import OCI
import Registry
import Testing
import TestSupport

@Suite("referrers on a real registry")
struct ReferrerTests {
    @Test("docker-registry 2.8 has no referrers API: the sha256-<hex> tag index; oras discover lists both SBOMs, oras pull returns the bytes")
    func sbomReferrerThroughTagSchema() async throws {
        let registry = try LocalRegistry()
        defer { registry.stop() }
        let work = try TemporaryDirectory()
        let layout = try await SyntheticLayout.write(at: work.appending("layout"), layerSizes: [40_000], tag: "v1")
        let (run, pushed) = try await Push.run([layout.path, "\(registry.address)/labs/debian:1.0"], home: work.path)
        #expect(pushed != nil, "\(run.stderr)")
        let spdx = Data(#"{"spdxVersion":"SPDX-2.3","name":"debian","packages":[]}"#.utf8) + Data("\n".utf8)
        let cyclonedx = Data(#"{"bomFormat":"CycloneDX","specVersion":"1.6"}"#.utf8)
        let repository = try RepositoryName("labs/debian")

        let (first, second, again, api) = try await RegistryClient.withConnection(to: registry.address, credential: nil) { client in
            let pusher = ReferrerPusher(client: client)
            let first = try await pusher.attach(
                spdx, fileName: "sbom.spdx.json", artifactType: "application/spdx+json", to: layout.manifest, in: repository,
                annotations: [AnnotationKey.created: "2025-11-26T00:00:00Z"])
            let second = try await pusher.attach(
                cyclonedx, fileName: "sbom.cdx.json", artifactType: "application/vnd.cyclonedx+json", to: layout.manifest, in: repository)
            // The same SBOM again: one entry, not two.
            let again = try await pusher.attach(
                spdx, fileName: "sbom.spdx.json", artifactType: "application/spdx+json", to: layout.manifest, in: repository,
                annotations: [AnnotationKey.created: "2025-11-26T00:00:00Z"])
            return (first, second, again, try await client.referrers(of: layout.manifest.digest, in: repository))
        }
        #expect(api == nil, "distribution 2.8 answers 404 on /referrers/")
        #expect(first.fallbackTag == "sha256-\(layout.manifest.digest.hex)")
        #expect(again == first)

        let oras = try await PeerTools.path("oras")
        let subject = "\(registry.address)/labs/debian@\(layout.manifest.digest)"
        let discovered = try await Command.check([oras, "discover", "--plain-http", "--format", "json", subject])
        let json = try #require(try JSONSerialization.jsonObject(with: discovered.stdoutData) as? [String: Any])
        let manifests = json["manifests"] as? [[String: Any]] ?? []
        #expect(manifests.count == 2, "\(discovered.stdout)")
        #expect(Set(manifests.compactMap { $0["artifactType"] as? String }) == ["application/spdx+json", "application/vnd.cyclonedx+json"])
        #expect(manifests.contains { $0["digest"] as? String == first.manifest.digest.description })
        #expect(manifests.contains { $0["digest"] as? String == second.manifest.digest.description })
        let filtered = try await Command.check([oras, "discover", "--plain-http", "--format", "json", "--artifact-type", "application/spdx+json", subject])
        #expect(filtered.stdout.contains(first.manifest.digest.description) && !filtered.stdout.contains(second.manifest.digest.description))

        let out = work.appending("pulled")
        try await Command.check([oras, "pull", "--plain-http", "-o", out, "\(registry.address)/labs/debian@\(first.manifest.digest)"])
        #expect(try Data(contentsOf: URL(fileURLWithPath: out + "/sbom.spdx.json")) == spdx)

        // The image itself is untouched: skopeo still reads the same manifest under its tag.
        await #expect(try Push.skopeoDigest("\(registry.address)/labs/debian:1.0") == layout.manifest.digest.description)
    }
}
