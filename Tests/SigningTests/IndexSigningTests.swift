// A multi-architecture image index as the subject of signatures, attestations and the SBOM referrer, checked by the
// real cosign and oras (Debian 13) against a real registry.
import Foundation
import OCI
import Registry
import Signing
import Testing
import TestSupport

@Suite("signatures and referrers on an image index", .serialized)
struct IndexSigningTests {
    @Test("labforge push --sign-key signs the index and each manifest (cosign verify passes on each); the SBOM referrer and the attestation of the index are found by oras and cosign")
    func indexIsASubject() async throws {
        let setup = try await SigningRegistry.start()
        defer { setup.registry.stop() }
        let (registry, work, key, other, home) = (setup.registry, setup.work, setup.signer, setup.other, setup.home)
        let amd = try await SyntheticLayout.write(at: work.appending("amd64"), layerSizes: [20_000], tag: "1.0")
        let arm = try await SyntheticLayout.write(at: work.appending("arm64"), layerSizes: [21_000], tag: "1.0", architecture: "arm64")
        let multi = try MultiArchLayout.write(images: [amd.path, arm.path], into: work.appending("multi"), tag: try Tag("1.0"))
        let image = "\(registry.address)/labs/multi"

        let push = try await Command.labforge(
            ["push", multi.layout, "\(image):1.0", "--sign-key", key.privateKey],
            environment: ["HOME": home, "DOCKER_CONFIG": "", "REGISTRY_AUTH_FILE": "", "XDG_RUNTIME_DIR": ""])
        #expect(push.status == 0, "\(push.stderr)")
        #expect(push.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "\(image)@\(multi.index.digest)")
        for digest in [multi.index.digest, amd.manifest.digest, arm.manifest.digest] {
            let verified = try await CosignVerifyTests.cosignVerify("\(image)@\(digest)", publicKey: key.publicKey, home: home)
            #expect(verified.status == 0, "\(digest): \(verified.stderr)")
            #expect(verified.stdout.contains(digest.description))
        }
        let wrongKey = try await CosignVerifyTests.cosignVerify("\(image)@\(multi.index.digest)", publicKey: other.publicKey, home: home)
        #expect(wrongKey.status != 0, "another key must not verify the index")

        // The SBOM referrer and the attestation, with the index as subject (its media type in the subject descriptor).
        let repository = try RepositoryName("labs/multi")
        let signer = try #require(try SigningKey.load(path: key.privateKey))
        let attached = try await RegistryClient.withConnection(to: registry.address, credential: nil) { client in
            let attached = try await ReferrerPusher(client: client).attach(
                CosignAttestationTests.sbom, fileName: "sbom.spdx.json", artifactType: "application/spdx+json", to: multi.index, in: repository)
            _ = try await CosignAttestation.attach(
                [.init(type: InTotoStatement.PredicateType.spdx, json: CosignAttestationTests.sbom)], to: multi.index.digest, in: repository,
                client: client, key: signer)
            return attached
        }
        #expect(attached.subject == multi.index.digest)
        let referrer = try await RegistryClient.withConnection(to: registry.address, credential: nil) { client in
            try #require(try await client.manifest(attached.manifest.digest.description, in: repository))
        }
        #expect(try JSONDecoder().decode(ImageManifest.self, from: referrer.bytes).subject?.mediaType == MediaType.imageIndex)

        let oras = try await PeerTools.path("oras")
        let discovered = try await Command.check([oras, "discover", "--plain-http", "--format", "json", "\(image)@\(multi.index.digest)"])
        let json = try #require(try JSONSerialization.jsonObject(with: discovered.stdoutData) as? [String: Any])
        let manifests = json["manifests"] as? [[String: Any]] ?? []
        #expect(manifests.map { $0["digest"] as? String } == [attached.manifest.digest.description], "\(discovered.stdout)")
        #expect(manifests.first?["artifactType"] as? String == "application/spdx+json")

        let attestation = try await CosignAttestationTests.verifyAttestation(
            "\(image)@\(multi.index.digest)", type: "spdxjson", publicKey: key.publicKey, home: home)
        #expect(attestation.status == 0, "\(attestation.stderr)")
    }
}
