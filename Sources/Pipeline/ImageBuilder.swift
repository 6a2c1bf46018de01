// Builds one image: base → customize → finalize → verify → package → push → manifests, skipping every
// stage whose inputs did not change, with its own build log and summary.
import Bases
import Customize
import DiskImage
import EngineIdentity
import Foundation
import Guestfs
import Kube
import LabforgeRecipe
import Logging
import OCI
import Registry
import Reporting
import Verify

/// One image's build. Every failure is caught into the summary: one image never stops another.
struct ImageBuilder: Sendable {
    let recipe: Recipe
    let options: BuildOptions
    let store: BaseImageStore
    let cache: ImageCache
    let reporter: any ProgressReporter
    let logger: Logger

    /// What the stages pass along.
    final class State: @unchecked Sendable {
        var stages: [StageRecord] = []
        var disk: String?
        var packaged: (digest: String, layout: String)?
        var pushed: BuildSummary.Pushed?
        var reference: String?
        var manifests: String?
        var verification = BuildSummary.Verification(status: "not-run", summary: "not run")
        /// The claimed firmwares with this build's verification of each, from the package stage on.
        var firmware: FirmwareBasis?
        var sbom: BuildSummary.SBOMRecord?
        var signature: BuildSummary.SignatureRecord?
        var baseIdentity: String
        /// Seconds the SBOM took to read in the customize appliance, when it was read there.
        var sbomReadSeconds: Double?
        /// When the build started (the provenance's `startedOn`).
        var started = Date()
        /// The finalize record the customize stage produced, appended after it.
        var finalize: StageRecord?
        /// The cache entries this build uses (base, finished disk), held shared until it ends.
        let leases = CacheLeases()
        init(baseIdentity: String) { self.baseIdentity = baseIdentity }
    }

    /// Builds the image (or finds it unchanged).
    /// - Returns: Its summary; `status` says built, unchanged or failed.
    func build() async -> BuildSummary {
        let started = Date()
        // Validated before its name and version become a directory or the archive check touches the cache:
        // nothing is written for an invalid recipe.
        let output: ImageOutput
        do {
            try recipe.validate()
            output = try ImageOutput(root: options.output, name: recipe.name, version: recipe.version)
        } catch {
            let fingerprint = try? ImageFingerprint(recipe: recipe, store: store, toolVersion: options.toolVersion, base: builtBase)
            return refusedSummary(fingerprint: fingerprint, state: State(baseIdentity: fingerprint?.baseIdentity ?? ""), started: started, message: "\(error)")
        }
        // The fingerprint names a bootstrapped base by the archives' InRelease digests: learn them first
        // (from the record when checked recently; an unreachable mirror with no record fails in the base stage).
        var archiveDate: String?
        if case .debianBootstrap(let spec) = builtBase {
            _ = try? await store.checkArchive(for: spec)
            archiveDate = store.lastKnownArchiveState(for: spec)?.newestDateRFC3339
        }
        let fingerprint: ImageFingerprint
        do {
            fingerprint = try ImageFingerprint(recipe: recipe, store: store, toolVersion: options.toolVersion, base: builtBase)
        } catch {
            return refusedSummary(fingerprint: nil, state: State(baseIdentity: ""), started: started, message: "\(error)")
        }
        let state = State(baseIdentity: fingerprint.baseIdentity)
        defer { state.leases.releaseAll() }
        do {
            try FileManager.default.createDirectory(atPath: output.directory, withIntermediateDirectories: true)
        } catch {
            return failedSummary(output: output, fingerprint: fingerprint, state: state, started: started, log: output.log,
                                 stage: .base, message: PipelineError.outputUnusable(path: output.directory, reason: "\(error)").description)
        }
        // Two runs building the same image into the same directory take turns.
        let lock: FileLock
        do {
            lock = try await FileLock.acquire(output.lock) {
                reporter.report(ProgressEvent(subject: recipe.name, stage: "wait", detail: "another build holds \(output.lock)", completed: 0, total: nil, unit: .steps))
            }
        } catch {
            return failedSummary(output: output, fingerprint: fingerprint, state: state, started: started, log: output.log, stage: .base, message: "\(error)")
        }
        defer { lock.release() }

        if !options.force, let previous = output.previousSummary(), isUpToDate(previous, fingerprint: fingerprint, output: output) {
            var unchanged = previous
            unchanged.status = .unchanged
            unchanged.seconds = (Date().timeIntervalSince(started) * 1000).rounded() / 1000
            reporter.report(ProgressEvent(subject: recipe.name, stage: "build", detail: "unchanged (\(fingerprint.short))", completed: 1, total: 1, unit: .steps, finished: true))
            return unchanged
        }

        guard let log = BuildLog(path: output.log) else {
            return failedSummary(output: output, fingerprint: fingerprint, state: state, started: started, log: output.log, stage: .base,
                                 message: PipelineError.outputUnusable(path: output.log, reason: "cannot create the build log").description)
        }
        defer { log.close() }
        log.line("labforge \(options.toolVersion) (engine \(EngineIdentity.summary)) build \(recipe.name) \(recipe.version), fingerprint \(fingerprint.hex)")
        do {
            let base = try await stage(.base, state, log) { try await resolveBase(state: state, log: log) }
            try await stage(.customize, state, log) { try await customize(base: base, fingerprint: fingerprint, state: state, log: log) }
            try await stage(.sbom, state, log) { try readSBOM(fingerprint: fingerprint, output: output, state: state, log: log) }
            try await stage(.verify, state, log) { try await verify(fingerprint: fingerprint, output: output, state: state, log: log) }
            try await stage(.package, state, log) { try await package(fingerprint: fingerprint, output: output, state: state) }
            try await stage(.push, state, log) { try await push(output: output, state: state) }
            try await stage(.manifests, state, log) { try manifests(output: output, state: state) }
        } catch {
            let failed = state.stages.last { $0.outcome == .failed }?.stage ?? .base
            log.line("FAILED in \(failed.rawValue): \(error)")
            return failedSummary(output: output, fingerprint: fingerprint, state: state, started: started, log: log.path, stage: failed, message: "\(error)")
        }
        let summary = BuildSummary(
            name: recipe.name, version: recipe.version, status: .built, fingerprint: fingerprint.hex, baseImage: state.baseIdentity,
            directory: output.directory, disk: state.disk, diskBytes: state.disk.map(FileWrite.allocatedBytes),
            layout: state.packaged?.layout, manifestDigest: state.packaged?.digest, pushed: state.pushed, reference: state.reference,
            manifests: state.manifests, verification: state.verification, stages: state.stages, log: log.path,
            finished: Date().formatted(.iso8601), seconds: (Date().timeIntervalSince(started) * 1000).rounded() / 1000, error: nil,
            sbom: state.sbom, signature: state.signature, archiveDate: archiveDate, firmware: state.firmware
        )
        do { try output.write(summary) } catch { log.line("cannot write \(output.summary): \(error)") }
        log.line("built in \(String(format: "%.1f", summary.seconds)) s")
        reporter.report(ProgressEvent(subject: recipe.name, stage: "build", detail: "built in \(String(format: "%.0f", summary.seconds)) s", completed: 1, total: 1, unit: .steps, finished: true))
        return summary
    }

    /// Runs one stage, timing it and recording its outcome (`work` returns the record's detail and outcome).
    private func stage<T>(
        _ stage: BuildStage, _ state: State, _ log: BuildLog, _ work: () async throws -> (T, StageRecord.Outcome, String)
    ) async throws -> T {
        let started = Date()
        log.line("== \(stage.rawValue)")
        do {
            let (value, outcome, detail) = try await work()
            // Customize also finalizes (the compressed copy is its last act): report the two apart.
            let finalize = state.finalize
            state.finalize = nil
            let record = StageRecord(
                stage: stage, outcome: outcome, seconds: Date().timeIntervalSince(started) - (finalize?.seconds ?? 0), detail: detail)
            state.stages.append(record)
            if let finalize { state.stages.append(finalize) }
            log.line("== \(stage.rawValue): \(outcome.rawValue) in \(String(format: "%.1f", record.seconds)) s — \(detail)")
            return value
        } catch {
            state.stages.append(StageRecord(stage: stage, outcome: .failed, seconds: Date().timeIntervalSince(started), detail: "\(error)"))
            throw error
        }
    }

    /// Whether the previous run left every output this run would make, for the same fingerprint.
    private func isUpToDate(_ previous: BuildSummary, fingerprint: ImageFingerprint, output: ImageOutput) -> Bool {
        // The claim is not in the fingerprint (the disk does not depend on it), but the layout's label and the verification do.
        guard previous.status != .failed, previous.fingerprint == fingerprint.hex, previous.firmware?.claimed == recipe.firmware,
              FileManager.default.fileExists(atPath: output.disk),
              FileManager.default.fileExists(atPath: output.sbom), previous.sbom != nil,
              FileManager.default.fileExists(atPath: output.layout + "/index.json"),
              FileManager.default.fileExists(atPath: output.manifests)
        else { return false }
        if options.verify, previous.verification.status != "passed" { return false }
        if let key = options.signingKey, options.push != nil, previous.signature?.keyFingerprint != key.fingerprint || previous.signature?.attestations == nil {
            return false
        }
        if let push = options.push {
            guard let pushed = previous.pushed, pushed.repository == "\(push.registry)/\(push.repository(for: recipe.name))",
                  pushed.reference.hasSuffix("@" + (previous.manifestDigest ?? "-"))
            else { return false }
        } else if previous.reference?.hasPrefix(options.referencePrefix.description + "/") != true {
            return false
        }
        return true
    }

    /// The summary of a recipe refused before anything was written (no directory, no log, no summary file).
    private func refusedSummary(fingerprint: ImageFingerprint?, state: State, started: Date, message: String) -> BuildSummary {
        reporter.report(ProgressEvent(subject: recipe.name, stage: BuildStage.base.rawValue, detail: "FAILED: \(message)", completed: 0, total: nil, unit: .steps, finished: true))
        return BuildSummary(
            name: recipe.name, version: recipe.version, status: .failed, fingerprint: fingerprint?.hex ?? "", baseImage: state.baseIdentity,
            directory: "", disk: nil, diskBytes: nil, layout: nil, manifestDigest: nil, pushed: nil, reference: nil,
            manifests: nil, verification: state.verification, stages: state.stages, log: "", finished: Date().formatted(.iso8601),
            seconds: (Date().timeIntervalSince(started) * 1000).rounded() / 1000, error: .init(stage: .base, message: message)
        )
    }

    private func failedSummary(
        output: ImageOutput, fingerprint: ImageFingerprint, state: State, started: Date, log: String, stage: BuildStage, message: String
    ) -> BuildSummary {
        reporter.report(ProgressEvent(subject: recipe.name, stage: stage.rawValue, detail: "FAILED: \(message)", completed: 0, total: nil, unit: .steps, finished: true))
        // A failed verification still says which firmware failed.
        let summary = BuildSummary(
            name: recipe.name, version: recipe.version, status: .failed, fingerprint: fingerprint.hex, baseImage: state.baseIdentity,
            directory: output.directory, disk: nil, diskBytes: nil, layout: nil, manifestDigest: nil, pushed: nil, reference: nil,
            manifests: nil, verification: state.verification, stages: state.stages, log: log, finished: Date().formatted(.iso8601),
            seconds: (Date().timeIntervalSince(started) * 1000).rounded() / 1000, error: .init(stage: stage, message: message),
            firmware: state.firmware ?? (try? firmwareBasis(state: state))
        )
        try? output.write(summary)
        return summary
    }
}
