// The index stage through the build driver, without a VM: two small real containerDisks (amd64, arm64) stand for a
// recipe's built images; the index over them is made, recorded as an `index` stage with its key, its manifests written
// pinned to it, and a second run takes it as it was (cached, unchanged); another destination or a failed
// architecture is not taken from the record.
import Bases
import Foundation
import LabforgeRecipe
import Logging
@testable import Pipeline
import Recipes
import Reporting
import Testing
import TestSupport

@Suite("index stage")
struct IndexStageTests {
    /// What the image builds of `debian-terminal` for amd64 and arm64 came to, with the fixture's layouts as theirs.
    static func group(_ disks: MultiArchContainerDisk, output: String, failing: Architecture? = nil) throws -> IndexGroup {
        try [Architecture.amd64, .arm64].map { architecture in
            let recipe = Recipes.debianTerminal
            let packed = try #require(disks.packed[architecture.rawValue])
            let directory = try ImageOutput(root: output, name: recipe.name, version: recipe.version, architecture: architecture).directory
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            var summary = BuildSummary(
                name: recipe.name, version: recipe.version, status: .built, fingerprint: String(repeating: "ab", count: 32), baseImage: "test-base",
                directory: directory, disk: nil, diskBytes: nil, layout: packed.layout, manifestDigest: packed.manifestDigest.description, pushed: nil,
                reference: nil, manifests: nil, verification: .init(status: "passed", summary: "passed"), stages: [], log: "", finished: "", seconds: 1,
                error: nil, kind: .vm, architecture: architecture)
            if architecture == failing {
                summary.status = .failed
                summary.error = .init(stage: .verify, message: "the terminal did not answer")
            }
            return (BuildRunner.Job(recipe: recipe, target: .vm, architecture: architecture, partOfIndex: true), summary)
        }
    }

    static func builder(_ work: TemporaryDirectory, reporter: any ProgressReporter = SilentProgress(), prefix: String = "registry.example:5000/labs") throws -> IndexBuilder {
        let options = BuildOptions(
            output: work.appending("images"), cacheRoot: work.appending("cache"), referencePrefix: try PushTarget(parsing: prefix), sourceDateEpoch: 1_764_115_200,
            toolVersion: "test")
        return IndexBuilder(
            options: options, store: BaseImageStore(cache: CacheDirectory(root: options.cacheRoot), toolVersion: "test"), cache: ImageCache(root: options.cacheRoot),
            reporter: reporter, logger: Logger(label: "test"))
    }

    @Test("the index is a driver-run stage: logged, reported and recorded with its key; a warm run takes it (cached, unchanged)")
    func indexStageThroughTheDriver() async throws {
        let work = try TemporaryDirectory()
        let disks = try await MultiArchContainerDisk.write(in: work)
        let output = work.appending("images")
        let group = try Self.group(disks, output: output)
        let progress = RecordingProgress()
        let first = try await Self.builder(work, reporter: progress).build(group)
        #expect(first.status == .built, "\(first.error ?? "")")
        let record = try #require(first.stages?.first)
        #expect(first.stages?.count == 1)
        #expect(record.stage == .index && record.outcome == .ran, "\(record)")
        let key = try #require(record.key)
        for (_, image) in group {
            #expect(key.contains(try #require(image.manifestDigest)), "\(key)")
        }
        #expect(key.contains("registry.example:5000/labs/debian-terminal, not pushed"), "\(key)")
        let digest = try #require(first.digest)
        #expect(record.detail.contains(digest) && record.detail.contains("amd64+arm64"), "\(record.detail)")
        // The driver's lines: its `== index` lines in the index's own log, its start reported under the index's subject.
        let layout = try #require(first.layout)
        let log = try String(contentsOfFile: IndexBuilder.log(of: layout), encoding: .utf8)
        #expect(log.contains("== index\n") && log.contains("== index: ran in"), "\(log)")
        #expect(progress.events.contains { $0.subject == "debian-terminal index" && $0.stage == "index" && $0.detail == "started" })
        #expect(progress.events.last.map { $0.finished && $0.detail == "built \(digest)" } == true)
        // Each architecture's manifests are pinned to the index; arm64's VM runs as arm64.
        #expect(first.manifests == [output + "/debian-terminal/1.0.0/manifests", output + "/debian-terminal/1.0.0/arm64/manifests"])
        let armVM = try String(contentsOfFile: output + "/debian-terminal/1.0.0/arm64/manifests/virtualmachine-ephemeral.yaml", encoding: .utf8)
        #expect(armVM.contains("architecture: arm64"), "\(armVM)")
        let dataVolume = try String(contentsOfFile: output + "/debian-terminal/1.0.0/arm64/manifests/datavolume.yaml", encoding: .utf8)
        #expect(dataVolume.contains(digest), "\(dataVolume)")
        // The record beside the layout holds the stage with its key.
        let written = try JSONDecoder().decode(IndexSummary.self, from: Data(contentsOf: URL(fileURLWithPath: IndexBuilder.record(of: layout))))
        #expect(written.stages?.first?.key == key)

        // Warm: the same key, the outputs in place: the stage is cached, the index unchanged, its bytes as before.
        let indexBytes = try Data(contentsOf: URL(fileURLWithPath: layout + "/index.json"))
        let second = try await Self.builder(work).build(group)
        #expect(second.status == .unchanged, "\(second.error ?? "")")
        #expect(second.digest == digest)
        #expect(second.stages?.map(\.outcome) == [.cached])
        #expect(second.stages?.first?.key == key)
        #expect(try Data(contentsOf: URL(fileURLWithPath: layout + "/index.json")) == indexBytes)

        // Another reference prefix is another key: made again (the same index), its manifests naming the new prefix.
        let moved = try await Self.builder(work, prefix: "registry.example:5000/other").build(group)
        #expect(moved.status == .built && moved.digest == digest, "\(moved.error ?? "")")
        #expect(moved.stages?.map(\.outcome) == [.ran])
        #expect(moved.reference?.hasPrefix("registry.example:5000/other/debian-terminal:1.0.0@") == true, "\(moved.reference ?? "")")
    }

    @Test("an architecture that failed fails the index: the stage is recorded as failed, naming it; nothing is written")
    func failedArchitectureFailsTheStage() async throws {
        let work = try TemporaryDirectory()
        let disks = try await MultiArchContainerDisk.write(in: work)
        let output = work.appending("images")
        let summary = try await Self.builder(work).build(try Self.group(disks, output: output, failing: .arm64))
        #expect(summary.status == .failed)
        #expect(summary.error?.contains("arm64") == true && summary.error?.contains("the terminal did not answer") == true, "\(summary.error ?? "")")
        #expect(summary.stages?.map(\.stage) == [.index] && summary.stages?.map(\.outcome) == [.failed])
        let layout = output + "/debian-terminal/1.0.0/oci-index"
        #expect(!FileManager.default.fileExists(atPath: layout + "/index.json"))
        #expect(!FileManager.default.fileExists(atPath: IndexBuilder.record(of: layout)))
    }
}
