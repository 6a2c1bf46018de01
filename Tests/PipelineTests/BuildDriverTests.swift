// The build driver with fake stages (no VM, no appliance): stages run in order and hand typed values on; each is logged,
// reported, timed and recorded with its key; a failure names its stage and nothing after it runs. Then the real
// verify and SBOM stages through the driver where they take what a build left (no boot, no appliance).
import Bases
import Customize
import DiskImage
import Foundation
import Kube
import LabforgeRecipe
import Logging
@testable import Pipeline
import Recipes
import Reporting
import SBOM
import Synchronization
import Testing
import TestSupport
import Verify

/// Progress events, kept.
final class RecordingProgress: ProgressReporter, Sendable {
    private let kept = Mutex<[ProgressEvent]>([])
    var events: [ProgressEvent] { kept.withLock { $0 } }
    func report(_ event: ProgressEvent) { kept.withLock { $0.append(event) } }
}

/// A count shared by copies of a stage.
final class RunCount: Sendable {
    private let count = Mutex(0)
    var value: Int { count.withLock { $0 } }
    func add() { count.withLock { $0 += 1 } }
}

/// Counts its runs; doubles its input, or throws when told to.
struct DoublingStage: Stage {
    static let kind = BuildStage.customize
    let runs = RunCount()
    var fails = false
    struct Broken: Error, CustomStringConvertible { var description: String { "the fake stage broke (as told)" } }
    func key(for input: Int, in context: StageContext) throws -> String? { "double \(input)" }
    func run(_ input: Int, key: String?, in context: StageContext) async throws -> StageResult<Int> {
        runs.add()
        if fails { throw Broken() }
        return .ran(input * 2, "doubled \(input)")
    }
}

/// Turns a number into text; skipped for zero.
struct DescribingStage: Stage {
    static let kind = BuildStage.manifests
    func key(for input: Int, in context: StageContext) throws -> String? { nil }
    func run(_ input: Int, key: String?, in context: StageContext) async throws -> StageResult<String> {
        input == 0 ? .skipped("", "nothing to describe") : .cached("n=\(input)", "described")
    }
}

/// A build context in a temporary directory, as `ImageBuilder` makes one.
func testContext(
    _ recipe: Recipe = Recipes.debianTerminal, in work: TemporaryDirectory, verify: Bool = true, force: Bool = false,
    reporter: any ProgressReporter = SilentProgress()
) throws -> StageContext {
    let cache = work.appending("cache")
    let options = BuildOptions(output: work.appending("images"), cacheRoot: cache, verify: verify, force: force, toolVersion: "test")
    let output = try ImageOutput(root: options.output, name: recipe.name, version: recipe.version)
    try FileManager.default.createDirectory(atPath: output.directory, withIntermediateDirectories: true)
    let log = try #require(BuildLog(path: output.log))
    let imageCache = ImageCache(root: cache)
    try imageCache.prepare()
    return StageContext(
        recipe: recipe, target: .vm, partOfIndex: false, options: options, output: output, fingerprint: ImageFingerprint(hex: String(repeating: "ab", count: 32), baseIdentity: "test-base"),
        cache: imageCache, store: BaseImageStore(cache: CacheDirectory(root: cache), toolVersion: "test"), log: log, reporter: reporter,
        logger: Logger(label: "test"), leases: CacheLeases(), started: Date())
}

@Suite("build driver")
struct BuildDriverTests {
    @Test("stages hand typed outputs on, in order; each is logged, reported, recorded with its outcome, detail and key")
    func composes() async throws {
        let work = try TemporaryDirectory()
        defer { work.remove() }
        let progress = RecordingProgress()
        let driver = BuildDriver(context: try testContext(in: work, reporter: progress))
        let doubling = DoublingStage()
        let doubled = try await driver.run(doubling, 21)
        let described = try await driver.run(DescribingStage(), doubled)
        let skipped = try await driver.run(DescribingStage(), 0)
        #expect(doubled == 42)
        #expect(described == "n=42")
        #expect(skipped == "")
        #expect(doubling.runs.value == 1)
        let stages = driver.stages
        #expect(stages.map(\.stage) == [.customize, .manifests, .manifests])
        #expect(stages.map(\.outcome) == [.ran, .cached, .skipped])
        #expect(stages.map(\.detail) == ["doubled 21", "described", "nothing to describe"])
        #expect(stages.map(\.key) == ["double 21", nil, nil])
        #expect(stages.allSatisfy { $0.seconds >= 0 })
        let log = try String(contentsOfFile: driver.context.output.log, encoding: .utf8)
        #expect(log.contains("== customize: ran in "), "\(log)")
        #expect(log.contains("— doubled 21"))
        #expect(log.contains("== manifests: skipped in "))
        #expect(progress.events.filter { $0.detail == "started" }.map(\.stage) == ["customize", "manifests", "manifests"])
        #expect(progress.events.allSatisfy { $0.subject == Recipes.debianTerminal.name })
    }

    @Test("a failing stage is recorded as failed and named in the error; nothing after it runs")
    func failureStops() async throws {
        let work = try TemporaryDirectory()
        defer { work.remove() }
        let driver = BuildDriver(context: try testContext(in: work))
        let after = DoublingStage()
        do {
            let value = try await driver.run(DoublingStage(fails: true), 1)
            _ = try await driver.run(after, value)
            Issue.record("the failing stage did not throw")
        } catch let failure as StageFailure {
            #expect(failure.stage == .customize)
            #expect(failure.message == "the fake stage broke (as told)")
        }
        #expect(after.runs.value == 0)
        #expect(driver.stages.map(\.outcome) == [.failed])
        #expect(driver.stages.first?.detail == "the fake stage broke (as told)")
        let log = try String(contentsOfFile: driver.context.output.log, encoding: .utf8)
        #expect(log.contains("== customize: failed in "))
    }

    @Test("verify: skipped with --no-verify (every claimed firmware not verified); a passed report of the same key is taken without a boot")
    func verifyStageReuses() async throws {
        let work = try TemporaryDirectory()
        defer { work.remove() }
        var recipe = Recipes.debianTerminal
        recipe.firmware = [.uefiSecureBoot, .bios]
        let unverified = BuildDriver(context: try testContext(recipe, in: work, verify: false))
        let notRun = try await unverified.run(VerifyStage(), .disk(FinalDisk(path: "/nonexistent.qcow2")))
        #expect(notRun.summary.status == "not-run")
        #expect(notRun.firmware == FirmwareBasis(claimed: recipe.firmware))
        #expect(unverified.stages.map(\.outcome) == [.skipped])

        // A report a build left in the cache for this fingerprint, under exactly the claimed firmware: no disk is booted
        // (the disk does not even exist), the report is placed beside the image and its boots decide each firmware.
        let context = try testContext(recipe, in: work)
        var report = try BuildFirmwareTests.report([(.uefiSecureBoot, true), (.bios, true)], passed: true)
        // A report without a result for each probe of the recipe's plan now (one from before the plan gained the
        // desktop proofs) is not taken: the stage boots the disk, which here does not exist.
        try report.write(to: context.cache.verification(context.fingerprint))
        await #expect(throws: StageFailure.self) { try await BuildDriver(context: context).run(VerifyStage(), .disk(FinalDisk(path: work.appending("no-such-disk.qcow2")))) }
        report.results = ProbePlan(recipe: recipe).targets.map { ProbeResult(probe: $0.name, passed: true, seconds: 1, attempts: 1, detail: "ok") }
        // Every probe passed, but by proofs of no recorded revision (a report from before revisions): not taken either.
        try report.write(to: context.cache.verification(context.fingerprint))
        await #expect(throws: StageFailure.self) { try await BuildDriver(context: context).run(VerifyStage(), .disk(FinalDisk(path: work.appending("no-such-disk.qcow2")))) }
        report.proofs = VerificationReport.proofRevision
        try report.write(to: context.cache.verification(context.fingerprint))
        let driver = BuildDriver(context: context)
        let taken = try await driver.run(VerifyStage(), .disk(FinalDisk(path: work.appending("no-such-disk.qcow2"))))
        #expect(driver.stages.map(\.outcome) == [.cached])
        #expect(driver.stages.first?.key == context.fingerprint.hex + " firmware=uefi-secure-boot,bios")
        #expect(taken.summary.status == "passed")
        #expect(taken.firmware?.summary == "UEFI Secure Boot ✓, BIOS ✓")
        #expect(FileManager.default.fileExists(atPath: context.output.verification))
    }

    @Test("SBOM: the inventory handed on from the customize appliance is rendered (no second read); the next build takes the cached SBOM")
    func sbomStageTakesHandedInventory() async throws {
        let work = try TemporaryDirectory()
        defer { work.remove() }
        let package = InstalledPackage(name: "bash", version: "5.2.37-2", architecture: "amd64")
        let inventory = SoftwareInventory(
            subject: .init(name: "debian-terminal", version: "1.0.0"), operatingSystem: .init(distro: "debian", majorVersion: 13, productName: "Debian GNU/Linux 13 (trixie)"),
            packages: [package])
        let handed = InventoryRead(inventory: inventory, seconds: 0.5, note: "package database 0.10 s")
        // The disk does not exist: a stage that tried to read it would fail.
        let missing = FinalDisk(path: work.appending("no-such-disk.qcow2"))
        let first = BuildDriver(context: try testContext(in: work))
        let document = try await first.run(SBOMStage(), .disk(missing, readInAppliance: handed))
        #expect(first.stages.map(\.outcome) == [.ran])
        #expect(first.stages.first?.detail.hasSuffix("(read in the customize appliance)") == true)
        #expect(document.record.packages == 1)
        #expect(document.record.seconds == 0.5)
        let written = try Data(contentsOf: URL(fileURLWithPath: document.record.path))
        #expect(try SBOMFile.packages(in: written, path: document.record.path).map(\.name) == ["bash"])

        let second = BuildDriver(context: try testContext(in: work))
        let again = try await second.run(SBOMStage(), .disk(missing, readInAppliance: nil))
        #expect(second.stages.map(\.outcome) == [.cached])
        #expect(again.record.digest == document.record.digest)
    }
}
