// Runs the index stage of one recipe built for several architectures through the build driver, with its own log and
// record beside the index's layout.
import Bases
import DiskImage
import Foundation
import Logging
import Reporting

/// One index's build: a ``BuildDriver`` over an ``IndexStage``, like an image's (the `== index` line in
/// `oci-index.log`, its progress, its timing and its record with the key are the driver's). Every failure is caught
/// into the summary: a failed index never stops the run.
struct IndexBuilder: Sendable {
    let options: BuildOptions
    let store: BaseImageStore
    let cache: ImageCache
    let reporter: any ProgressReporter
    let logger: Logger

    /// The record beside an index's layout, read by the next run to find the index unchanged.
    /// - Parameter layout: The index's layout (``ImageOutput/indexLayout(root:name:version:target:)``).
    /// - Returns: `<layout>.summary.json`.
    static func record(of layout: String) -> String { layout + ".summary.json" }

    /// The index's log: `<layout>.log`, beside its record.
    static func log(of layout: String) -> String { layout + ".log" }

    /// Makes the index over `group` (or finds it unchanged) and writes its record.
    /// - Parameter group: The images of one recipe and target, in index order (``BuildRunner/indexGroups(_:)``).
    /// - Returns: Its summary: `built`, `unchanged` (the stage's output taken from the previous run) or `failed` with
    ///   the error; `stages` holds the `index` stage's record.
    func build(_ group: IndexGroup) async -> IndexSummary {
        let started = Date()
        let (first, firstImage) = group[0]
        let recipe = first.recipe
        let subject = "\(recipe.name) index"
        var summary = IndexSummary(
            name: recipe.name, version: recipe.version, kind: first.target, architectures: group.map(\.0.architecture), status: .failed,
            layout: nil, digest: nil, reference: nil, pushed: nil, sbomReferrers: nil, signature: nil, manifests: [], error: nil, seconds: 0)
        var layoutPath: String?
        do {
            let layout = try ImageOutput.indexLayout(root: options.output, name: recipe.name, version: recipe.version, target: first.target)
            layoutPath = layout
            let output = try ImageOutput(root: options.output, name: recipe.name, version: recipe.version, target: first.target)
            do {
                try FileManager.default.createDirectory(atPath: output.directory, withIntermediateDirectories: true)
            } catch {
                throw PipelineError.outputUnusable(path: output.directory, reason: "\(error)")
            }
            guard let log = BuildLog(path: Self.log(of: layout)) else {
                throw PipelineError.outputUnusable(path: Self.log(of: layout), reason: "cannot create the index's log")
            }
            defer { log.close() }
            log.line("labforge \(options.toolVersion) index of \(recipe.name) \(recipe.version) --target \(first.target.rawValue) over "
                + group.map(\.0.architecture.rawValue).joined(separator: "+"))
            let leases = CacheLeases()
            defer { leases.releaseAll() }
            // The index has no fingerprint of its own (its key is its images' digests): the context carries its first image's.
            let context = StageContext(
                recipe: recipe, target: first.target, partOfIndex: true, options: options, output: output,
                fingerprint: ImageFingerprint(hex: firstImage.fingerprint, baseIdentity: firstImage.baseImage), cache: cache, store: store, log: log,
                reporter: RelabeledProgress(subject: subject, inner: reporter), logger: logger, leases: leases, started: started)
            let driver = BuildDriver(context: context)
            do {
                summary = try await driver.run(IndexStage(), group)
                summary.status = driver.stages.last?.outcome == .cached ? .unchanged : .built
            } catch {
                summary.error = "\(error)"
            }
            summary.stages = driver.stages
        } catch {
            summary.error = "\(error)"
        }
        summary.seconds = (Date().timeIntervalSince(started) * 1000).rounded() / 1000
        if let error = summary.error {
            summary.status = .failed
            logger.error("\(recipe.name) \(recipe.version): index not made: \(error)")
        } else if summary.status == .built, let layoutPath {
            do {
                try ImageOutput.writeRecord(summary, to: Self.record(of: layoutPath))
            } catch {
                logger.warning("\(recipe.name) \(recipe.version): cannot write \(Self.record(of: layoutPath)): \(error); the next run makes the index again")
            }
        }
        reporter.report(ProgressEvent(
            subject: subject, stage: BuildStage.index.rawValue,
            detail: summary.error.map { "FAILED: \($0)" } ?? "\(summary.status.rawValue) \(summary.digest ?? "")",
            completed: 1, total: 1, unit: .steps, finished: true))
        return summary
    }
}
