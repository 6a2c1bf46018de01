// A stage of a build as a value: a typed input, a typed output, its cache key and its run.
import Bases
import DiskImage
import Foundation
import LabforgeRecipe
import Logging
import Reporting

/// One stage of an image's build. The ``BuildDriver`` runs it: logging, progress, timing and the build record are the
/// driver's; the stage only turns its input into its output (or finds the output it made before for the same key).
protocol Stage: Sendable {
    /// What the stage takes (the previous stages' outputs).
    associatedtype Input: Sendable
    /// What it hands on.
    associatedtype Output: Sendable
    /// Its name in the build record and the log.
    static var kind: BuildStage { get }
    /// What identifies its output for `input`: an unchanged key means the output already made can be taken (nil: the
    /// stage has nothing to reuse, or is not asked for in this run).
    /// - Throws: When the key's inputs cannot be read.
    func key(for input: Input, in context: StageContext) throws -> String?
    /// Makes the output, or takes the one made earlier for `key`.
    /// - Throws: What the stage's work throws; the image stops there.
    func run(_ input: Input, key: String?, in context: StageContext) async throws -> StageResult<Output>
}

/// A stage's output with what became of the stage and one line for the record.
struct StageResult<Output: Sendable>: Sendable {
    /// The output.
    var output: Output
    /// Ran, cached or skipped.
    var outcome: StageRecord.Outcome
    /// Sizes, digests, cache hits.
    var detail: String

    static func ran(_ output: Output, _ detail: String) -> StageResult { StageResult(output: output, outcome: .ran, detail: detail) }
    static func cached(_ output: Output, _ detail: String) -> StageResult { StageResult(output: output, outcome: .cached, detail: detail) }
    static func skipped(_ output: Output, _ detail: String) -> StageResult { StageResult(output: output, outcome: .skipped, detail: detail) }
}

/// What every stage of one image's build may read: the recipe and the run's options, where its files go, the caches,
/// the build log and progress. Immutable: stages hand results on as outputs, never through the context.
struct StageContext: Sendable {
    /// The recipe.
    let recipe: Recipe
    /// VM or pod image.
    let target: BuildTarget
    /// Whether this image is one architecture of several under one index: it is then pushed by digest alone, and the
    /// index takes the tags (the recipe, as built for its architecture, names the architecture).
    let partOfIndex: Bool
    /// The run's options.
    let options: BuildOptions
    /// Where this image's files go.
    let output: ImageOutput
    /// What the image is built from.
    let fingerprint: ImageFingerprint
    /// The image cache (disks, SBOMs, verifications by fingerprint).
    let cache: ImageCache
    /// The base store.
    let store: BaseImageStore
    /// This image's build log.
    let log: BuildLog
    /// Progress, subject = the recipe's name.
    let reporter: any ProgressReporter
    /// One-line notices.
    let logger: Logger
    /// Cache entries held shared (or, while being made, exclusive) until the build ends; the driver releases them.
    let leases: CacheLeases
    /// When the build started (the provenance's `startedOn`).
    let started: Date

    /// The image's architecture.
    var architecture: Architecture { recipe.architectures.first ?? .amd64 }

    /// Where the image is pushed, or the prefix its manifests name.
    var pushTarget: PushTarget { options.push ?? options.referencePrefix }

    /// The image's repository under ``pushTarget`` (``repository(of:target:under:)``).
    var repository: String { Self.repository(of: recipe, target: target, under: pushTarget) }

    /// The one rule for an image's repository: the recipe's name under the push target, `-pod` appended for a pod image.
    static func repository(of recipe: Recipe, target: BuildTarget, under pushTarget: PushTarget) -> String {
        pushTarget.repository(for: target == .container ? recipe.name + ImageOutput.podRepositorySuffix : recipe.name)
    }
}
