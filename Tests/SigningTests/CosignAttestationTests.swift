// Attestations labforge pushes (the SBOM and a SLSA provenance, in-toto statements in DSSE envelopes), checked by the
// real `cosign verify-attestation` (Debian 13's cosign 2.5) against a real registry.
import Foundation
import OCI
import Registry
import Signing
import Testing
import TestSupport

@Suite("cosign attestations on a real registry", .serialized)
struct CosignAttestationTests {
    static func verifyAttestation(_ reference: String, type: String, publicKey: String, home: String) async throws -> CommandResult {
        try await Command.run(
            [try PeerTools.path("cosign"), "verify-attestation", "--key", publicKey, "--insecure-ignore-tlog=true", "--allow-insecure-registry",
             "--type", type, reference],
            environment: ["HOME": home, "DOCKER_CONFIG": home + "/.docker", "SIGSTORE_NO_CACHE": "1", "TUF_ROOT": home + "/.sigstore"])
    }

    /// The statements cosign printed (one JSON envelope per line), decoded.
    static func statements(_ stdout: String) throws -> [[String: Any]] {
        try stdout.split(separator: "\n").compactMap { line in
            guard let envelope = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let payload = (envelope["payload"] as? String).flatMap({ Data(base64Encoded: $0) }) else { return nil }
            return try JSONSerialization.jsonObject(with: payload) as? [String: Any]
        }
    }

    static let sbom = Data(#"{"SPDXID":"SPDXRef-DOCUMENT","dataLicense":"CC0-1.0","name":"lab","packages":[{"SPDXID":"SPDXRef-Package-ttyd","name":"ttyd","versionInfo":"1.7.7-8"}],"spdxVersion":"SPDX-2.3"}"#.utf8)

    @Test("verify-attestation accepts the SBOM (spdxjson) and the SLSA provenance (slsaprovenance1); another key, a re-tagged or altered attestation fail")
    func attestationsVerify() async throws {
        let setup = try await SigningRegistry.start()
        defer { setup.registry.stop() }
        let (registry, work, key, other, home) = (setup.registry, setup.work, setup.signer, setup.other, setup.home)
        let repository = try RepositoryName("labs/attested")
        let first = try await SyntheticLayout.write(at: work.appending("one"), layerSizes: [20_000], tag: "v1")
        let second = try await SyntheticLayout.write(at: work.appending("two"), layerSizes: [21_000], tag: "v2")
        let firstDigest = try await CosignVerifyTests.push(first, to: registry, repository: repository, tag: "1.0")
        let secondDigest = try await CosignVerifyTests.push(second, to: registry, repository: repository, tag: "2.0")
        let signer = try #require(try SigningKey.load(path: key.privateKey))

        let provenance = SLSAProvenance(
            recipe: .init(name: "lab", version: "1.0", fingerprint: String(repeating: "ab", count: 32)),
            baseIdentity: "debian-13-genericcloud-amd64@sha256:" + String(repeating: "cd", count: 32), labforgeVersion: "9.9.9",
            environment: ["GITHUB_SHA": "0123456789abcdef0123456789abcdef01234567", "GITHUB_REPOSITORY": "school/labs", "GITHUB_RUN_ID": "42"],
            startedOn: "2026-11-29T10:00:00Z", finishedOn: "2026-11-29T10:30:00Z")
        let predicates = [
            CosignAttestation.Predicate(type: InTotoStatement.PredicateType.spdx, json: Self.sbom),
            CosignAttestation.Predicate(type: InTotoStatement.PredicateType.slsaProvenanceV1, json: try provenance.encoded()),
        ]
        let attestation = try await RegistryClient.withConnection(to: registry.address, credential: nil) { client in
            try await CosignAttestation.attach(predicates, to: firstDigest, in: repository, client: client, key: signer)
        }
        let image = "\(registry.address)/\(repository)"

        let spdx = try await Self.verifyAttestation("\(image)@\(firstDigest)", type: "spdxjson", publicKey: key.publicKey, home: home)
        #expect(spdx.status == 0, "\(spdx.stderr)")
        let sbomStatement = try #require(try Self.statements(spdx.stdout).first { $0["predicateType"] as? String == InTotoStatement.PredicateType.spdx })
        let subject = try #require((sbomStatement["subject"] as? [[String: Any]])?.first)
        #expect((subject["digest"] as? [String: String])?["sha256"] == firstDigest.hex)
        #expect(subject["name"] as? String == image)
        // The predicate is the SBOM itself, byte for byte.
        #expect(NSDictionary(dictionary: sbomStatement["predicate"] as? [String: Any] ?? [:])
            == NSDictionary(dictionary: try JSONSerialization.jsonObject(with: Self.sbom) as! [String: Any]))

        let slsa = try await Self.verifyAttestation("\(image)@\(firstDigest)", type: "slsaprovenance1", publicKey: key.publicKey, home: home)
        #expect(slsa.status == 0, "\(slsa.stderr)")
        let slsaStatement = try #require(try Self.statements(slsa.stdout).first { $0["predicateType"] as? String == InTotoStatement.PredicateType.slsaProvenanceV1 })
        let predicate = try #require(slsaStatement["predicate"] as? [String: Any])
        let builder = (predicate["runDetails"] as? [String: Any])?["builder"] as? [String: Any]
        #expect(builder?["id"] as? String == "https://github.com/school/labs/actions/runs/42")
        #expect((builder?["version"] as? [String: String])?["labforge"] == "9.9.9")
        let definition = try #require(predicate["buildDefinition"] as? [String: Any])
        let recipe = (definition["externalParameters"] as? [String: Any])?["recipe"] as? [String: Any]
        #expect(recipe?["name"] as? String == "lab" && recipe?["fingerprint"] as? String == String(repeating: "ab", count: 32))
        let dependencies = try #require(definition["resolvedDependencies"] as? [[String: Any]])
        #expect(dependencies.contains { ($0["digest"] as? [String: String])?["gitCommit"] == "0123456789abcdef0123456789abcdef01234567" })
        #expect(dependencies.contains { $0["uri"] as? String == "debian-13-genericcloud-amd64" && ($0["digest"] as? [String: String])?["sha256"] == String(repeating: "cd", count: 32) })

        // A type that was not attested, and another key, fail.
        let cyclone = try await Self.verifyAttestation("\(image)@\(firstDigest)", type: "cyclonedx", publicKey: key.publicKey, home: home)
        #expect(cyclone.status != 0, "no CycloneDX attestation was made")
        let wrongKey = try await Self.verifyAttestation("\(image)@\(firstDigest)", type: "spdxjson", publicKey: other.publicKey, home: home)
        #expect(wrongKey.status != 0, "another key must not verify")

        // Tampering 1: the first image's attestations re-tagged onto the second image (the statement names another digest).
        try await RegistryClient.withConnection(to: registry.address, credential: nil) { client in
            let manifest = try #require(try await client.manifest(attestation.description, in: repository))
            _ = try await client.putManifest(manifest.bytes, mediaType: MediaType.imageManifest, reference: CosignAttestation.tag(for: secondDigest), in: repository)
        }
        let retagged = try await Self.verifyAttestation("\(image)@\(secondDigest)", type: "spdxjson", publicKey: key.publicKey, home: home)
        #expect(retagged.status != 0, "an attestation about another digest must not verify")

        // Tampering 2: the SBOM statement's payload altered (a package added) under the original signature.
        let envelope = try JSONDecoder().decode(
            DSSEEnvelope.self, from: try CosignAttestation.envelope(predicates[0], subjectName: image, digest: firstDigest, key: signer))
        var altered = envelope
        let statement = String(decoding: Data(base64Encoded: envelope.payload)!, as: UTF8.self).replacingOccurrences(of: "1.7.7-8", with: "6.6.6-6")
        altered.payload = Data(statement.utf8).base64EncodedString()
        try await RegistryClient.withConnection(to: registry.address, credential: nil) { client in
            let bytes = try altered.encoded()
            let layer = Descriptor(
                mediaType: DSSEEnvelope.mediaType, digest: .sha256(of: bytes), size: Int64(bytes.count),
                annotations: [CosignSignature.signatureAnnotation: "", CosignAttestation.predicateTypeAnnotation: InTotoStatement.PredicateType.spdx])
            try await client.uploadSmallBlob(bytes, as: layer, to: repository)
            let config = Data(#"{"architecture":"","config":{},"os":"","rootfs":{"diff_ids":["\#(layer.digest)"],"type":"layers"}}"#.utf8)
            let configDescriptor = Descriptor(mediaType: MediaType.imageConfig, digest: .sha256(of: config), size: Int64(config.count))
            try await client.uploadSmallBlob(config, as: configDescriptor, to: repository)
            let manifest = try CanonicalJSON.encode(ImageManifest(config: configDescriptor, layers: [layer]))
            _ = try await client.putManifest(manifest, mediaType: MediaType.imageManifest, reference: CosignAttestation.tag(for: firstDigest), in: repository)
        }
        let tampered = try await Self.verifyAttestation("\(image)@\(firstDigest)", type: "spdxjson", publicKey: key.publicKey, home: home)
        #expect(tampered.status != 0, "an altered statement must not verify")
    }

    @Test("DSSE pre-authentication encoding and statement bytes are exact; a predicate that is not a JSON object is refused")
    func encodings() throws {
        #expect(String(decoding: DSSEEnvelope.preAuthenticationEncoding(type: "http://example.com/HelloWorld", payload: Data("hello world".utf8)), as: UTF8.self)
            == "DSSEv1 29 http://example.com/HelloWorld 11 hello world")
        let digest = try Digest(parsing: "sha256:" + String(repeating: "0", count: 64))
        let statement = InTotoStatement(subjectName: "r/x", subjectDigest: digest, predicateType: "t", predicate: Data(#"{"b":1,"a":2}"#.utf8))
        #expect(String(decoding: try statement.encoded(), as: UTF8.self)
            == #"{"_type":"https://in-toto.io/Statement/v1","predicate":{"b":1,"a":2},"predicateType":"t","subject":[{"digest":{"sha256":"\#(digest.hex)"},"name":"r/x"}]}"#)
        #expect(throws: SigningError.self) {
            try InTotoStatement(subjectName: "r/x", subjectDigest: digest, predicateType: "t", predicate: Data("[1]".utf8)).encoded()
        }
        // No CI: the local builder, no source.
        let local = SLSAProvenance(recipe: .init(name: "a", version: "1", fingerprint: "f"), baseIdentity: "bootstrap:trixie", labforgeVersion: "1", environment: [:])
        #expect(local.runDetails.builder.id == SLSAProvenance.localBuilderID)
        #expect(local.buildDefinition.resolvedDependencies.map(\.name) == ["base-image"])
    }
}
