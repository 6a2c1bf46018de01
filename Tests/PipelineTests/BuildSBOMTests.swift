// The SBOM stage of `labforge build` on a small local base (no bootstrap, no boot): written beside the disk,
// cached with the disk by fingerprint, skipped by a no-op rebuild, counted in the catalog.
import Foundation
import LabforgeRecipe
import Pipeline
import Signing
import Testing
import TestSupport

@Suite("labforge build: SBOM stage", .serialized)
struct BuildSBOMTests {
    @Test("sbom.spdx.json beside the disk, attached to the pushed image (oras reads it), signed (cosign verifies); a no-op rebuild does not re-read it; another output reuses the cached one", .bootsVM)
    func sbomStage() async throws {
        let directory = try TemporaryDirectory()
        let base = directory.appending("base.qcow2")
        try await GuestDiskFixture.makeDebianLikeDisk(at: base, extraFiles: DpkgStatusFixture.files)
        let recipe = Recipe(name: "sbom-lab", base: .localFile(path: base, format: .qcow2), sysprep: nil) {
            WriteFile("/etc/motd", contents: "Welcome to the lab.\n")
        }
        let cache = directory.appending("cache")
        let output = directory.appending("images")
        let registry = try LocalRegistry()
        defer { registry.stop() }
        var options = BuildOptions(
            output: output, cacheRoot: cache, push: try PushTarget(parsing: "\(registry.address)/labs"), verify: false,
            sourceDateEpoch: 1_764_115_200, toolVersion: "test")
        let key = directory.appending("k.pem")
        try await Command.check(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key])
        try await Command.check(["openssl", "ec", "-in", key, "-pubout", "-out", directory.appending("k.pub")])
        options.signingKey = try SigningKey.load(path: key)

        let first = try await VMSlots.hold { try await BuildRunner(options: options).run([recipe]) }
        let image = try #require(first.images.first)
        #expect(image.status == .built, "\(image.error?.message ?? "")")
        #expect(image.stages.map(\.stage).prefix(4) == [.base, .customize, .finalize, .sbom])
        let sbomStage = try #require(image.stages.first { $0.stage == .sbom })
        #expect(sbomStage.outcome == .ran)
        // Read in the customizer's appliance before it closed: no second appliance launch.
        #expect(sbomStage.detail.hasSuffix("(read in the customize appliance)"), "\(sbomStage.detail)")
        let record = try #require(image.sbom)
        #expect(record.packages == 5)
        #expect(record.path == output + "/sbom-lab/1.0.0/sbom.spdx.json")
        let spdx = try Data(contentsOf: URL(fileURLWithPath: record.path))
        let document = try #require(try JSONSerialization.jsonObject(with: spdx) as? [String: Any])
        #expect((document["creationInfo"] as? [String: Any])?["created"] as? String == "2025-11-26T00:00:00Z")
        let files = document["files"] as? [[String: Any]] ?? []
        #expect(files.map { $0["fileName"] as? String } == ["./etc/motd"], "the recipe's world-readable file is listed")
        let catalog = try String(contentsOfFile: output + "/catalog.json", encoding: .utf8)
        #expect(catalog.contains("\"packages\" : 5") && catalog.contains(record.digest))
        #expect(try String(contentsOfFile: output + "/index.html", encoding: .utf8).contains("<dt>Packages</dt><dd>5 "))

        // Pushed: the SBOM is a referrer of the image manifest; the real oras finds it and pulls the same bytes.
        let digest = try #require(image.manifestDigest)
        let referrer = try #require(record.referrer)
        #expect(catalog.contains(referrer))
        let oras = try await PeerTools.path("oras")
        let discovered = try await Command.check([oras, "discover", "--plain-http", "--format", "json", "\(registry.address)/labs/sbom-lab@\(digest)"])
        #expect(discovered.stdout.contains("application/spdx+json") && discovered.stdout.contains(String(referrer.split(separator: "@").last!)))
        // Signed: the real cosign accepts the pushed digest with the public key openssl derived; the catalog says who signed.
        let signature = try #require(image.signature)
        #expect(catalog.contains(signature.keyFingerprint))
        #expect(try String(contentsOfFile: output + "/index.html", encoding: .utf8).contains("signed by key <code>\(signature.keyFingerprint)</code>"))
        let home = directory.appending("home")
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        let verified = try await Command.run(
            [try PeerTools.path("cosign"), "verify", "--key", directory.appending("k.pub"), "--insecure-ignore-tlog=true", "--allow-insecure-registry",
             "\(registry.address)/labs/sbom-lab@\(digest)"], environment: ["HOME": home, "DOCKER_CONFIG": home + "/.docker"])
        #expect(verified.status == 0, "\(verified.stderr)")
        // Attested: the SBOM (spdxjson) and the SLSA provenance (slsaprovenance1), signed with the same key.
        #expect(signature.predicateTypes == ["https://spdx.dev/Document", "https://slsa.dev/provenance/v1"])
        #expect(catalog.contains(try #require(signature.attestations)))
        for type in ["spdxjson", "slsaprovenance1"] {
            let attested = try await Command.run(
                [try PeerTools.path("cosign"), "verify-attestation", "--key", directory.appending("k.pub"), "--insecure-ignore-tlog=true",
                 "--allow-insecure-registry", "--type", type, "\(registry.address)/labs/sbom-lab@\(digest)"],
                environment: ["HOME": home, "DOCKER_CONFIG": home + "/.docker"])
            #expect(attested.status == 0, "\(type): \(attested.stderr)")
        }
        let pulled = directory.appending("pulled")
        try await Command.check([oras, "pull", "--plain-http", "-o", pulled, referrer])
        #expect(try Data(contentsOf: URL(fileURLWithPath: pulled + "/sbom.spdx.json")) == spdx)

        // No-op: the image is unchanged, nothing (the SBOM included) is read again.
        let second = try await VMSlots.hold { try await BuildRunner(options: options).run([recipe]) }
        #expect(second.images.first?.status == .unchanged)
        #expect(second.images.first?.sbom == record)

        // Another output directory, same cache: the SBOM comes from the cache, byte for byte.
        var elsewhere = options
        elsewhere.output = directory.appending("other")
        let third = try await VMSlots.hold { try await BuildRunner(options: elsewhere).run([recipe]) }
        let reused = try #require(third.images.first)
        #expect(reused.stages.first { $0.stage == .sbom }?.outcome == .cached)
        #expect(reused.sbom?.digest == record.digest)
        #expect(try Data(contentsOf: URL(fileURLWithPath: elsewhere.output + "/sbom-lab/1.0.0/sbom.spdx.json")) == spdx)

        // The next version changes packages (its dpkg database says ttyd was upgraded, novnc removed, htop added): the
        // catalog entry lists the changes since 1.0.0, and the page shows them.
        let status = DpkgStatusFixture.status
            .replacingOccurrences(of: "Version: 1.7.7-8+b1", with: "Version: 1.7.8-1")
            .replacingOccurrences(of: "Package: novnc", with: "Package: htop")
            .replacingOccurrences(of: "Version: 1:1.6.0-1", with: "Version: 3.4.1-4")
        let next = Recipe(name: "sbom-lab", version: "1.1.0", base: .localFile(path: base, format: .qcow2), sysprep: nil) {
            WriteFile("/etc/motd", contents: "Welcome to the lab.\n")
            WriteFile("/var/lib/dpkg/status", contents: status)
        }
        let bumped = try await VMSlots.hold { try await BuildRunner(options: options).run([next]) }
        #expect(bumped.images.first?.status == .built, "\(bumped.images.first?.error?.message ?? "")")
        let entries = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: output + "/catalog.json"))) as? [String: Any])
        let newest = try #require((entries["images"] as? [[String: Any]])?.first { $0["version"] as? String == "1.1.0" })
        let changes = try #require(newest["changes"] as? [String: Any])
        #expect(changes["since"] as? String == "1.0.0")
        #expect((changes["added"] as? [[String: String]]) == [["name": "htop", "version": "3.4.1-4"]])
        #expect((changes["removed"] as? [[String: String]]) == [["name": "novnc", "version": "1:1.6.0-1"]])
        #expect((changes["upgraded"] as? [[String: String]]) == [["name": "ttyd", "from": "1.7.7-8+b1", "to": "1.7.8-1"]])
        #expect(try String(contentsOfFile: output + "/index.html", encoding: .utf8).contains("since 1.0.0: 1 added, 1 removed, 1 upgraded"))
    }
}
