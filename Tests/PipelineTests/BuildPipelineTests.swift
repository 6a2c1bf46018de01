// `labforge build` end to end: a shipped recipe built as a VM image and as a pod image through the same stages,
// verified, pushed to a real registry, signed and attested (the real cosign verifies both) with their SBOMs as referrers
// (the real oras lists both); the second run does nothing; a failing recipe does not stop another; an edited recipe
// resumes from the step cache.
import Bases
import Foundation
import LabforgeRecipe
import Pipeline
import Recipes
import Testing
import TestSupport

@Suite("labforge build: options and fingerprints")
struct BuildOptionsTests {
    @Test func pushTargets() throws {
        let ghcr = try PushTarget(parsing: "ghcr.io/acme/labs/")
        #expect(ghcr.registry == "ghcr.io")
        #expect(ghcr.repository(for: "debian-desktop") == "acme/labs/debian-desktop")
        #expect(try PushTarget(parsing: "127.0.0.1:5000").repository(for: "x") == "x")
        #expect(throws: PipelineError.self) { try PushTarget(parsing: "labs/debian") }
        #expect(throws: PipelineError.self) { try PushTarget(parsing: "ghcr.io/Upper Case") }
    }

    @Test func fingerprintCoversUploadedFilesBaseAndVersion() throws {
        let directory = try TemporaryDirectory()
        let file = directory.appending("welcome.txt")
        try Data("hello\n".utf8).write(to: URL(fileURLWithPath: file))
        let recipe = Recipe(name: "upload-lab", base: .localFile(path: file, format: .raw)) {
            Upload(file, into: "/srv")
        }
        let store = BaseImageStore(cache: CacheDirectory(root: directory.path), toolVersion: "1")
        let first = try ImageFingerprint(recipe: recipe, store: store, toolVersion: "1")
        #expect(first == (try ImageFingerprint(recipe: recipe, store: store, toolVersion: "1")))
        #expect(first != (try ImageFingerprint(recipe: recipe, store: store, toolVersion: "2")))
        // Same recipe source, other file contents: another image (the base identity changes too here,
        // since the file is also the "base"; the upload alone is checked with a separate base below).
        let base = directory.appending("base.raw")
        try Data(count: 1024).write(to: URL(fileURLWithPath: base))
        let uploading = Recipe(name: "upload-lab", base: .localFile(path: base, format: .raw)) { Upload(file, into: "/srv") }
        let before = try ImageFingerprint(recipe: uploading, store: store, toolVersion: "1")
        try Data("hello, edited\n".utf8).write(to: URL(fileURLWithPath: file))
        let after = try ImageFingerprint(recipe: uploading, store: store, toolVersion: "1")
        #expect(before.hex != after.hex)
        #expect(before.baseIdentity == after.baseIdentity)
    }

    @Test func datedTagComesFromSourceDateEpoch() {
        let options = BuildOptions(cacheRoot: "/nonexistent", sourceDateEpoch: 1_764_115_200, toolVersion: "0")
        #expect(options.datedTag(version: "1.0.0") == "1.0.0-202511260000")
    }
}

@Suite("labforge build end to end", .serialized)
struct BuildPipelineTests {
    /// A cache of its own (snapshots and finished disks start empty) that shares the test run's
    /// bootstrapped base and downloaded artifacts.
    static func cache(in directory: TemporaryDirectory) async throws -> String {
        _ = try await TestBase.path()
        let cache = directory.appending("cache")
        try FileManager.default.createDirectory(atPath: cache, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: cache + "/bases", withDestinationPath: TestBase.cacheDirectory + "/bases")
        let artifacts = TestBase.cacheDirectory + "/artifacts"
        try FileManager.default.createDirectory(atPath: artifacts, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: cache + "/artifacts", withDestinationPath: artifacts)
        return cache
    }

    @Test(.timeLimit(.minutes(60)), .bootsVM)
    func buildPushNoOpFailureIsolationAndStepCache() async throws {
        let directory = try TemporaryDirectory()
        let cache = try await Self.cache(in: directory)
        let output = directory.appending("images")
        let registry = try LocalRegistry()
        defer { registry.stop() }
        let environment = ["SOURCE_DATE_EPOCH": "1764115200", "LABFORGE_TEST_CACHE": TestBase.cacheDirectory]
        let key = directory.appending("k.pem")
        try await Command.check(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key])
        try await Command.check(["openssl", "ec", "-in", key, "-pubout", "-out", directory.appending("k.pub")])
        let arguments = [
            "build", "debian-terminal", "--target", "vm", "--target", "container", "--output", output, "--cache-dir", cache,
            "--push", "\(registry.address)/labs", "--sign-key", key, "--json",
        ]

        // 1. Cold: every stage runs; verified, pushed with three tags, manifests and catalog written.
        let first = try await Command.labforge(arguments, environment: environment)
        #expect(first.status == 0, "labforge build failed:\n\(first.stderr.suffix(4000))")
        let report = try JSONDecoder().decode(BuildReport.self, from: first.stdoutData)
        let shape = try #require(JSONSerialization.jsonObject(with: first.stdoutData) as? [String: Any])
        #expect(Set(shape.keys) == ["images", "catalog", "page", "catalogUpdated", "failed", "seconds"])
        #expect(report.images.map(\.kind) == [.vm, .container])
        let image = try #require(report.images.first)
        #expect(report.failed == 0, "\(report.table)")
        #expect(image.status == .built)
        #expect(image.stages.map(\.stage) == [.base, .customize, .finalize, .sbom, .verify, .package, .push, .sign, .manifests])
        #expect(image.stages.allSatisfy { $0.outcome == .ran || ($0.stage == .base && $0.outcome == .cached) })
        #expect(image.verification.status == "passed")
        let pushed = try #require(image.pushed)
        #expect(Set(pushed.tags) == ["1.0.0", "1.0.0-202511260000", "latest"])
        #expect(pushed.repository == "\(registry.address)/labs/debian-terminal")
        let digest = try #require(image.manifestDigest)
        #expect(image.reference == "\(registry.address)/labs/debian-terminal:1.0.0@\(digest)")
        let inspected = try await Command.check(["skopeo", "inspect", "--tls-verify=false", "docker://\(registry.address)/labs/debian-terminal:latest"])
        #expect(inspected.stdout.contains(digest))
        let info = try await Command.check(["qemu-img", "info", "--output=json", output + "/debian-terminal/1.0.0/disk.qcow2"])
        #expect(info.stdout.contains("\"compression-type\": \"zstd\""))
        #expect(!info.stdout.contains("backing-filename"))
        let manifests = try FileManager.default.contentsOfDirectory(atPath: output + "/debian-terminal/1.0.0/manifests")
        #expect(manifests.contains("kustomization.yaml"))
        let dataVolume = try String(contentsOfFile: output + "/debian-terminal/1.0.0/manifests/datavolume.yaml", encoding: .utf8)
        #expect(dataVolume.contains("\(registry.address)/labs/debian-terminal@\(digest)"))
        let catalog = try String(contentsOfFile: output + "/catalog.json", encoding: .utf8)
        #expect(catalog.contains("\"debian-terminal\"") && catalog.contains("\"passed\""))
        let sbom = try #require(image.sbom)
        #expect(sbom.packages > 100 && FileManager.default.fileExists(atPath: output + "/debian-terminal/1.0.0/sbom.spdx.json"))
        #expect(catalog.contains(sbom.digest))
        #expect(FileManager.default.fileExists(atPath: output + "/index.html"))
        let log = try String(contentsOfFile: image.log, encoding: .utf8)
        // Built as root from a labforge bootstrap: the first package batch went into the base, on the host.
        #expect(log.contains("install on the host, in the bootstrapped base") && log.contains("ran on the host"), "\(log.suffix(3000))")

        // The pod image of the same recipe went through the same SBOM, verify, push, sign and manifests stages.
        let pod = try #require(report.images.last)
        #expect(pod.status == .built, "\(pod.error?.message ?? "")")
        #expect(pod.stages.map(\.stage) == [.customize, .sbom, .package, .verify, .push, .sign, .manifests])
        #expect(pod.stages.allSatisfy { $0.outcome == .ran }, "\(pod.stages)")
        #expect(pod.verification.status == "passed")
        #expect(pod.directory == output + "/debian-terminal/1.0.0/container")
        #expect(pod.pushed?.repository == "\(registry.address)/labs/debian-terminal-pod")
        #expect((pod.sbom?.packages ?? 0) > 50, "\(String(describing: pod.sbom))")
        #expect(catalog.contains("\"kind\" : \"container\""))
        // Both images: the real cosign verifies the signature and both attestations; the real oras lists the SBOM referrer.
        let home = directory.appending("home")
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        let cosignEnvironment = ["HOME": home, "DOCKER_CONFIG": home + "/.docker"]
        let oras = try await PeerTools.path("oras")
        for built in [image, pod] {
            let name = try #require(built.pushed?.repository)
            let pinned = "\(name)@\(try #require(built.manifestDigest))"
            #expect(built.signature?.predicateTypes == ["https://spdx.dev/Document", "https://slsa.dev/provenance/v1"])
            let verified = try await Command.run(
                [try PeerTools.path("cosign"), "verify", "--key", directory.appending("k.pub"), "--insecure-ignore-tlog=true", "--allow-insecure-registry", pinned],
                environment: cosignEnvironment)
            #expect(verified.status == 0, "\(pinned): \(verified.stderr)")
            for type in ["spdxjson", "slsaprovenance1"] {
                let attested = try await Command.run(
                    [try PeerTools.path("cosign"), "verify-attestation", "--key", directory.appending("k.pub"), "--insecure-ignore-tlog=true",
                     "--allow-insecure-registry", "--type", type, pinned], environment: cosignEnvironment)
                #expect(attested.status == 0, "\(pinned) \(type): \(attested.stderr)")
            }
            let referrer = try #require(built.sbom?.referrer)
            let discovered = try await Command.check([oras, "discover", "--plain-http", "--format", "json", pinned])
            #expect(discovered.stdout.contains("application/spdx+json") && discovered.stdout.contains(String(referrer.split(separator: "@").last!)), "\(discovered.stdout)")
        }

        // 2. Warm: nothing to do — no stage runs, the catalog is not rewritten.
        let second = try await Command.labforge(arguments, environment: environment)
        #expect(second.status == 0, "second build failed:\n\(second.stderr.suffix(4000))")
        let again = try JSONDecoder().decode(BuildReport.self, from: second.stdoutData)
        #expect(again.images.map(\.status) == [.unchanged, .unchanged])
        #expect(again.images.first?.manifestDigest == digest)
        #expect(again.catalogUpdated == false)
        print("no-op rebuild of debian-terminal: \(again.seconds) s")

        // 3. One failing recipe does not stop another. The edited recipe shares the terminal's base (same
        // package set) and runs a script in the appliance, after which the step cache snapshots.
        var edited = Recipes.debianTerminal
        edited.name = "debian-terminal-edited"
        edited.body.append(.step(.run(script: "echo run > /etc/labforge-run")))
        edited.body.append(.step(.writeFile(path: "/etc/labforge-edited", contents: "edited\n", mode: 0o644, owner: .root)))
        let broken = Recipe(name: "broken-lab", sysprep: nil) {
            WriteFile("/etc/broken-lab", contents: "x\n")
            Run("echo about to fail; exit 3")
        }
        let options = BuildOptions(output: output, cacheRoot: cache, jobs: 2, verify: false, toolVersion: "0.1.0")
        let mixed = try await VMSlots.hold { try await BuildRunner(options: options).run([broken, edited]) }
        #expect(mixed.failed == 1)
        let failed = try #require(mixed.images.first)
        #expect(failed.status == .failed)
        #expect(failed.error?.stage == .customize)
        #expect(failed.error?.message.contains("exit 3") == true)
        #expect(failed.error?.message.contains("status 3") == true)
        #expect(!FileManager.default.fileExists(atPath: output + "/broken-lab/1.0.0/disk.qcow2"))
        let editedSummary = try #require(mixed.images.last)
        #expect(editedSummary.status == .built, "\(editedSummary.error?.message ?? "")")
        #expect(editedSummary.stages.first { $0.stage == .base }?.outcome == .cached, "the edited recipe reuses the terminal's base")
        let editedLog = try String(contentsOfFile: editedSummary.log, encoding: .utf8)
        #expect(editedLog.contains("step cache: snapshot after step"), "\(editedLog.suffix(3000))")
        let catalogAfter = try String(contentsOfFile: output + "/catalog.json", encoding: .utf8)
        #expect(catalogAfter.contains("debian-terminal-edited") && catalogAfter.contains("\"debian-terminal\""))
        #expect(!catalogAfter.contains("broken-lab"))

        // 4. Edited once more after the script: the build resumes from the snapshot after it.
        var editedTwice = edited
        editedTwice.body.append(.step(.writeFile(path: "/etc/labforge-edited-again", contents: "again\n", mode: 0o644, owner: .root)))
        let resumedRun = try await VMSlots.hold { try await BuildRunner(options: options).run([editedTwice]) }
        let resumed = try #require(resumedRun.images.first)
        #expect(resumed.status == .built, "\(resumed.error?.message ?? "")")
        let customize = try #require(resumed.stages.first { $0.stage == .customize })
        #expect(customize.detail.contains("resumed from the step-cache snapshot after step"), "\(customize.detail)")
    }
}
