// `labforge cache prune --older-than 0 --bases` run again and again while a real build runs: the build still
// succeeds, resuming from a step-cache snapshot whose chain and base the prunes had to leave alone.
import DiskImage
import Foundation
import LabforgeRecipe
import Pipeline
import Reporting
import Testing
import TestSupport

@Suite("cache prune during a build", .serialized)
struct PruneDuringBuildTests {
    /// Says whether the build is running its steps (its base and resumed snapshot chain are leased by then): the
    /// customizer's `[n/N] step` events, not the driver's `started` for the stage, which comes before the lease (under
    /// load a prune between the two took the snapshot and the build ran from scratch).
    final class CustomizeWatch: ProgressReporter, @unchecked Sendable {
        private let state = NSLock()
        private var customizing = false
        var isCustomizing: Bool { state.withLock { customizing } }
        func report(_ event: ProgressEvent) {
            guard event.stage == "customize", event.finished || event.detail?.hasPrefix("[") == true else { return }
            state.withLock { customizing = !event.finished }
        }
    }

    /// A cache of the test's own whose bases are hard links to the shared test cache's (same file system): pruning
    /// bases here removes links, never the shared bases.
    static func cache(in directory: TemporaryDirectory) async throws -> String {
        _ = try await TestBase.path()
        let cache = directory.appending("cache")
        let shared = TestBase.cacheDirectory + "/bases"
        for folder in ["images", "archives"] {
            try FileManager.default.createDirectory(atPath: "\(cache)/bases/\(folder)", withIntermediateDirectories: true)
            for name in try FileManager.default.contentsOfDirectory(atPath: "\(shared)/\(folder)") where !name.hasPrefix(".") {
                if folder == "images" {
                    try FileManager.default.linkItem(atPath: "\(shared)/images/\(name)", toPath: "\(cache)/bases/images/\(name)")
                } else {
                    try FileManager.default.copyItem(atPath: "\(shared)/archives/\(name)", toPath: "\(cache)/bases/archives/\(name)")
                }
            }
        }
        return cache
    }

    @Test(.timeLimit(.minutes(60)), .bootsVM)
    func pruneEverythingWhileABuildRunsAndTheBuildSucceeds() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let cache = try await Self.cache(in: directory)
        let output = directory.appending("images")
        let first = Recipe(name: "prune-lab", sysprep: nil) {
            Run("echo snapshot me > /etc/prune-lab")
            WriteFile("/etc/prune-lab-1", contents: "one\n")
        }
        var second = first
        second.body.append(.step(.writeFile(path: "/etc/prune-lab-2", contents: "two\n", mode: 0o644, owner: .root)))
        let options = BuildOptions(output: output, cacheRoot: cache, jobs: 1, verify: false, toolVersion: "0.1.0")

        // 1. Build once: a snapshot after the Run step, backed on the (linked) base.
        let cold = try await VMSlots.hold { try await BuildRunner(options: options).run([first]) }
        #expect(cold.failed == 0, "\(cold.images.first?.error?.message ?? "")")
        let snapshots = try FileManager.default.contentsOfDirectory(atPath: cache + "/snapshots").filter { $0.hasSuffix(".qcow2") }
        #expect(snapshots.count == 1)
        let snapshot = try #require(snapshots.first.map { cache + "/snapshots/" + $0 })
        let base = try #require(QemuImg.info(snapshot).backingFile)
        #expect(base.hasPrefix(cache + "/bases/images/"))

        // 2. Build the edited recipe while prunes of everything run: once it customizes, every prune must keep the
        //    snapshot it resumed from and the base under it.
        let watch = CustomizeWatch()
        let build = Task { try await VMSlots.hold { try await BuildRunner(options: options, reporter: watch).run([second]) } }
        var prunes: [CachePruner.Result] = []
        let deadline = Date().addingTimeInterval(20 * 60)
        while prunes.count < 3, Date() < deadline {
            try await Task.sleep(nanoseconds: 300_000_000)
            if watch.isCustomizing { prunes.append(try CachePruner(root: cache).prune(olderThan: 0, includeBases: true)) }
        }
        #expect(prunes.count == 3, "the build never reached its steps")
        let report = try await build.value
        let image = try #require(report.images.first)
        #expect(image.status == .built, "\(image.error?.message ?? "")")
        let customize = try #require(image.stages.first { $0.stage == .customize })
        #expect(customize.detail.contains("resumed from the step-cache snapshot after step"), "\(customize.detail)")
        for result in prunes {
            #expect(result.inUse.contains(snapshot), "the resumed snapshot was not held: \(result)")
            #expect(result.inUse.contains(base), "the base was not held: \(result)")
            #expect(!result.removed.contains(snapshot) && !result.removed.contains(base))
        }
        // The finished disk is whole and the layout was written from it.
        let disk = try #require(image.disk)
        try await Command.check(["qemu-img", "check", "-q", disk])
        #expect(FileManager.default.fileExists(atPath: output + "/prune-lab/1.0.0/oci/index.json"))
        // The shared test cache lost nothing.
        #expect(FileManager.default.fileExists(atPath: TestBase.cacheDirectory + "/bases/images/" + URL(fileURLWithPath: base).lastPathComponent))

        // 3. Once no build holds them, the same prune removes them.
        let after = try CachePruner(root: cache).prune(olderThan: 0, includeBases: true)
        #expect(after.inUse.isEmpty, "\(after.inUse)")
        #expect(after.removed.contains(snapshot) && after.removed.contains(base))
    }
}
