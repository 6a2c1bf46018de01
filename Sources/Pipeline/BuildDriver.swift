// Runs one image's stages in order and keeps its build record: the only place that logs, reports and times a stage.
import Foundation
import Reporting
import Synchronization

/// Composes stages: `let disk = try await driver.run(FinalizeStage(), customized)`. Each run is logged (`== stage`
/// lines), reported as progress, timed and recorded; a failure is recorded and rethrown as ``StageFailure`` naming the
/// stage, so the image's summary says where it stopped.
final class BuildDriver: Sendable {
    /// What every stage reads.
    let context: StageContext
    private let records = Mutex<[StageRecord]>([])

    /// A driver for one image's build.
    /// - Parameter context: The build's context.
    init(context: StageContext) {
        self.context = context
    }

    /// The record of every stage run so far, in order.
    var stages: [StageRecord] { records.withLock { $0 } }

    /// Runs `stage` on `input`.
    /// - Parameters:
    ///   - stage: The stage.
    ///   - input: Its input.
    /// - Returns: Its output.
    /// - Throws: ``StageFailure`` with the stage and what it threw.
    func run<S: Stage>(_ stage: S, _ input: S.Input) async throws -> S.Output {
        let name = S.kind.rawValue
        let started = ContinuousClock.now
        context.log.line("== \(name)")
        context.reporter.report(ProgressEvent(subject: context.recipe.name, stage: name, detail: "started", completed: 0, total: nil, unit: .steps))
        var key: String?
        do {
            key = try stage.key(for: input, in: context)
            let result = try await stage.run(input, key: key, in: context)
            let record = StageRecord(stage: S.kind, outcome: result.outcome, seconds: Self.seconds(since: started), detail: result.detail, key: key)
            records.withLock { $0.append(record) }
            context.log.line("== \(name): \(result.outcome.rawValue) in \(String(format: "%.1f", record.seconds)) s — \(result.detail)")
            return result.output
        } catch {
            let failure = error as? StageFailure ?? StageFailure(stage: S.kind, error: error)
            let record = StageRecord(stage: S.kind, outcome: .failed, seconds: Self.seconds(since: started), detail: failure.message, key: key)
            records.withLock { $0.append(record) }
            context.log.line("== \(name): failed in \(String(format: "%.1f", record.seconds)) s — \(failure.message)")
            throw failure
        }
    }

    private static func seconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }
}

/// A stage failed: which, and why.
struct StageFailure: Error, CustomStringConvertible {
    /// The stage.
    var stage: BuildStage
    /// What it threw.
    var error: any Error

    /// The error's message.
    var message: String { "\(error)" }
    var description: String { message }
}
