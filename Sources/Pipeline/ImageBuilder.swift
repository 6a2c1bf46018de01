// Builds one image, VM or pod: the pipeline of typed stages, skipping every stage whose inputs did not change, with its
// own build log and summary.
import Bases
import DiskImage
import EngineIdentity
import Foundation
import Kube
import LabforgeRecipe
import Logging
import Reporting

/// One image's build. Every failure is caught into the summary: one image never stops another.
struct ImageBuilder: Sendable {
    /// The recipe as built for this image's architecture (``LabforgeRecipe/Recipe/building(for:)``).
    let recipe: Recipe
    let target: BuildTarget
    /// Whether the image is one architecture of several under one index.
    let partOfIndex: Bool
    let options: BuildOptions
    let store: BaseImageStore
    let cache: ImageCache
    let reporter: any ProgressReporter
    let logger: Logger

    /// Why the recipe cannot be built for the architecture asked (nil: it can).
    let refusal: RecipeError?

    init(
        recipe: Recipe, target: BuildTarget = .vm, architecture: Architecture = .amd64, partOfIndex: Bool = false, options: BuildOptions,
        store: BaseImageStore, cache: ImageCache, reporter: any ProgressReporter, logger: Logger
    ) {
        do {
            self.recipe = try recipe.building(for: architecture)
            refusal = nil
        } catch {
            var named = recipe
            named.architectures = [architecture]
            self.recipe = named
            refusal = error as? RecipeError ?? .architectureNeedsBootstrap(recipe: recipe.name, architecture: architecture.rawValue)
        }
        self.target = target
        self.partOfIndex = partOfIndex
        self.options = options
        self.store = store
        self.cache = cache
        self.reporter = reporter
        self.logger = logger
    }

    /// The image's architecture.
    var architecture: Architecture { recipe.architectures.first ?? .amd64 }

    /// What progress names the image by: the recipe's name, with the architecture for any but amd64 (`debian-terminal/arm64`).
    var subject: String { architecture == .amd64 ? recipe.name : "\(recipe.name)/\(architecture)" }

    /// What one image's stages produced, for its summary.
    struct BuiltImage: Sendable {
        var disk: String?
        var packaged: PackagedImage
        var pushed: PushedImage
        var verification: VerificationOutcome
        var signed: SignedImage
        var manifests: String
        var podUID: Int? = nil
    }

    /// Builds the image (or finds it unchanged).
    /// - Returns: Its summary; `status` says built, unchanged or failed.
    func build() async -> BuildSummary {
        let started = Date()
        // Validated before its name and version become a directory or the archive check touches the cache:
        // nothing is written for an invalid recipe.
        let output: ImageOutput
        let plan: ContainerPlan?
        do {
            if let refusal { throw refusal }
            try recipe.validate()
            plan = target == .container ? try ContainerPlan(recipe: recipe) : nil
            output = try ImageOutput(root: options.output, name: recipe.name, version: recipe.version, target: target, architecture: architecture)
        } catch {
            return refusedSummary(fingerprint: nil, started: started, message: "\(error)")
        }
        // The fingerprint names a bootstrapped base by the archives' InRelease digests: learn them first
        // (from the record when checked recently; an unreachable mirror with no record fails in the base stage).
        let bootstrap: DebianBootstrap? = {
            if let plan { return DebianBootstrap(suite: plan.suite) }
            if case .debianBootstrap(let spec) = builtBase { return spec }
            return nil
        }()
        var archiveDate: String?
        if let bootstrap {
            _ = try? await store.checkArchive(for: bootstrap)
            archiveDate = store.lastKnownArchiveState(for: bootstrap)?.newestDateRFC3339
        }
        let fingerprint: ImageFingerprint
        do {
            fingerprint = try plan.map { try podFingerprint(plan: $0, bootstrap: bootstrap) }
                ?? ImageFingerprint(recipe: recipe, store: store, toolVersion: options.toolVersion, base: builtBase)
        } catch {
            return refusedSummary(fingerprint: nil, started: started, message: "\(error)")
        }
        var summary = BuildSummary(
            name: recipe.name, version: recipe.version, status: .failed, fingerprint: fingerprint.hex, baseImage: fingerprint.baseIdentity,
            directory: output.directory, disk: nil, diskBytes: nil, layout: nil, manifestDigest: nil, pushed: nil, reference: nil,
            manifests: nil, verification: .init(status: "not-run", summary: "not run"), stages: [], log: output.log, finished: "", seconds: 0,
            error: nil, archiveDate: archiveDate, firmware: target == .vm ? FirmwareBasis(claimed: recipe.firmware) : nil, kind: target)
        summary.architecture = architecture
        do {
            try FileManager.default.createDirectory(atPath: output.directory, withIntermediateDirectories: true)
        } catch {
            return failed(summary, output: output, started: started, stage: .base,
                          message: PipelineError.outputUnusable(path: output.directory, reason: "\(error)").description)
        }
        // Two runs building the same image into the same directory take turns.
        let lock: FileLock
        do {
            lock = try await FileLock.acquire(output.lock) {
                reporter.report(ProgressEvent(subject: subject, stage: "wait", detail: "another build holds \(output.lock)", completed: 0, total: nil, unit: .steps))
            }
        } catch {
            return failed(summary, output: output, started: started, stage: .base, message: "\(error)")
        }
        defer { lock.release() }

        if !options.force, let previous = output.previousSummary(), isUpToDate(previous, fingerprint: fingerprint, output: output) {
            var unchanged = previous
            unchanged.status = .unchanged
            unchanged.seconds = (Date().timeIntervalSince(started) * 1000).rounded() / 1000
            reporter.report(ProgressEvent(subject: subject, stage: "build", detail: "unchanged (\(fingerprint.short))", completed: 1, total: 1, unit: .steps, finished: true))
            return unchanged
        }
        guard let log = BuildLog(path: output.log) else {
            return failed(summary, output: output, started: started, stage: .base,
                          message: PipelineError.outputUnusable(path: output.log, reason: "cannot create the build log").description)
        }
        defer { log.close() }
        log.line("labforge \(options.toolVersion) (engine \(EngineIdentity.summary)) build \(recipe.name) \(recipe.version) --target \(target.rawValue), fingerprint \(fingerprint.hex)")
        let leases = CacheLeases()
        defer { leases.releaseAll() }
        let context = StageContext(
            recipe: recipe, target: target, partOfIndex: partOfIndex, options: options, output: output, fingerprint: fingerprint, cache: cache, store: store, log: log,
            reporter: RelabeledProgress(subject: subject, inner: reporter), logger: logger, leases: leases, started: started)
        let driver = BuildDriver(context: context)
        do {
            try cache.prepare()
            let built: BuiltImage
            if let plan { built = try await buildPod(driver, plan: plan) } else { built = try await buildVM(driver) }
            summary.status = .built
            summary.disk = built.disk
            summary.diskBytes = built.disk.map(DiskFile.allocatedBytes)
            summary.layout = built.packaged.layout
            summary.manifestDigest = built.packaged.digest
            summary.imageBytes = built.packaged.layerBytes
            summary.uncompressedBytes = built.packaged.uncompressedBytes
            summary.pushed = built.pushed.pushed
            summary.reference = built.pushed.reference
            summary.verification = built.verification.summary
            summary.firmware = built.verification.firmware
            summary.sbom = built.signed.sbom
            summary.signature = built.signed.signature
            summary.manifests = built.manifests
            summary.podUID = built.podUID
        } catch {
            let failure = error as? StageFailure ?? StageFailure(stage: .base, error: error)
            if let verification = failure.error as? FailedVerification {
                summary.verification = verification.outcome.summary
                summary.firmware = verification.outcome.firmware
            }
            log.line("FAILED in \(failure.stage.rawValue): \(failure.message)")
            summary.stages = driver.stages
            return failed(summary, output: output, started: started, stage: failure.stage, message: failure.message)
        }
        summary.stages = driver.stages
        summary.finished = Date().formatted(.iso8601)
        summary.seconds = (Date().timeIntervalSince(started) * 1000).rounded() / 1000
        do { try output.write(summary) } catch { log.line("cannot write \(output.summary): \(error)") }
        log.line("built in \(String(format: "%.1f", summary.seconds)) s")
        reporter.report(ProgressEvent(subject: subject, stage: "build", detail: "built in \(String(format: "%.0f", summary.seconds)) s", completed: 1, total: 1, unit: .steps, finished: true))
        return summary
    }

    /// A VM image: base → customize → finalize → SBOM → verify → containerDisk → push → sign → manifests.
    private func buildVM(_ driver: BuildDriver) async throws -> BuiltImage {
        let base = try await driver.run(BaseStage(hostPackages: hostPackages), builtBase)
        let customized = try await driver.run(CustomizeStage(hostInstalledSteps: Set(hostPackages?.steps ?? [])), base)
        let disk = try await driver.run(FinalizeStage(), customized)
        let sbom = try await driver.run(SBOMStage(), .disk(disk, readInAppliance: customized.inventory))
        let verification = try await driver.run(VerifyStage(), .disk(disk))
        let firmware = verification.firmware ?? FirmwareBasis(claimed: recipe.firmware)
        let packaged = try await driver.run(ContainerDiskStage(), ContainerDiskInput(disk: disk, firmware: firmware))
        let pushed = try await driver.run(PushStage(), packaged)
        let signed = try await driver.run(SignStage(), SignInput(image: pushed, sbom: sbom))
        let manifests = try await driver.run(ManifestsStage(), .vm(layout: packaged.layout, firmware: firmware))
        return BuiltImage(disk: packaged.disk, packaged: packaged, pushed: pushed, verification: verification, signed: signed, manifests: manifests)
    }

    /// A pod image: root tree → SBOM → OCI image → verify → push → sign → manifests (the same SBOM, verify, push,
    /// sign and manifests stages as a VM image's).
    private func buildPod(_ driver: BuildDriver, plan: ContainerPlan) async throws -> BuiltImage {
        let log = driver.context.log
        for entry in plan.entries {
            switch entry.action {
            case .apply: continue
            case .skip(let reason): log.line("step \(entry.planned.number) (\(entry.planned.step.title)): skipped in a container — \(reason)")
            case .service(let service): log.line("step \(entry.planned.number) (\(entry.planned.step.title)): runs under the supervisor as \(service.name)")
            }
        }
        let scratch = try makeScratch()
        defer { removeScratch(scratch) }
        let tree = try await driver.run(RootTreeStage(), RootTreeInput(plan: plan, scratch: scratch))
        let sbom = try await driver.run(SBOMStage(), .tree(tree))
        let packaged = try await driver.run(ContainerImageStage(), tree)
        removeScratch(tree.path)  // the tree is in the layer now: free its space before the verification unpacks it
        let verification = try await driver.run(VerifyStage(), .image(packaged))
        let pushed = try await driver.run(PushStage(), packaged)
        let signed = try await driver.run(SignStage(), SignInput(image: pushed, sbom: sbom))
        let manifests = try await driver.run(ManifestsStage(), .pod(plan: plan, uid: tree.uid, reference: pushed.reference))
        return BuiltImage(disk: nil, packaged: packaged, pushed: pushed, verification: verification, signed: signed, manifests: manifests, podUID: tree.uid)
    }

    /// A private scratch directory for a pod image's tree, registered so an interrupt removes it.
    private func makeScratch() throws -> String {
        let parent = options.cacheRoot + "/container-work"
        let path = parent + "/" + recipe.name + "-" + UUID().uuidString.prefix(8)
        do {
            try FileAccess.makePrivateDirectory(parent, tightenExisting: false)
            try FileAccess.makePrivateDirectory(path)
        } catch {
            throw PipelineError.cacheUnusable(path: parent, reason: "\(error)")
        }
        Interruption.register(path)
        return path
    }

    /// Removes scratch, never across a mount point; what cannot be removed stays registered and is named.
    private func removeScratch(_ path: String) {
        if let left = ScratchRemoval.remove(path) {
            logger.warning("not removing \(left)")
        } else {
            Interruption.unregister(path)
        }
    }

    /// Whether the previous run left every output this run would make, for the same fingerprint.
    private func isUpToDate(_ previous: BuildSummary, fingerprint: ImageFingerprint, output: ImageOutput) -> Bool {
        // The claim is not in the fingerprint (the disk does not depend on it), but the layout's label and the verification do.
        guard previous.status != .failed, previous.fingerprint == fingerprint.hex, (previous.kind ?? .vm) == target,
              target == .container || previous.firmware?.claimed == recipe.firmware && FileManager.default.fileExists(atPath: output.disk),
              FileManager.default.fileExists(atPath: output.sbom), previous.sbom != nil,
              FileManager.default.fileExists(atPath: output.layout + "/index.json"),
              FileManager.default.fileExists(atPath: output.manifests)
        else { return false }
        if options.verify, previous.verification.status != "passed" || !VerifyStage.covers(output.verification, recipe: recipe, target: target) { return false }
        if let key = options.signingKey, options.push != nil, previous.signature?.keyFingerprint != key.fingerprint || previous.signature?.attestations == nil {
            return false
        }
        let pushTarget = options.push ?? options.referencePrefix
        let repository = StageContext.repository(of: recipe, target: target, under: pushTarget)
        if let push = options.push {
            guard let pushed = previous.pushed, pushed.repository == "\(push.registry)/\(repository)",
                  pushed.reference.hasSuffix("@" + (previous.manifestDigest ?? "-")), previous.sbom?.referrer != nil
            else { return false }
        } else if previous.reference?.hasPrefix("\(pushTarget.registry)/\(repository)\(partOfIndex ? "@" : ":")") != true {
            return false
        }
        return true
    }

    /// The summary of a recipe refused before anything was written (no directory, no log, no summary file).
    private func refusedSummary(fingerprint: ImageFingerprint?, started: Date, message: String) -> BuildSummary {
        reporter.report(ProgressEvent(subject: subject, stage: BuildStage.base.rawValue, detail: "FAILED: \(message)", completed: 0, total: nil, unit: .steps, finished: true))
        return BuildSummary(
            name: recipe.name, version: recipe.version, status: .failed, fingerprint: fingerprint?.hex ?? "", baseImage: fingerprint?.baseIdentity ?? "",
            directory: "", disk: nil, diskBytes: nil, layout: nil, manifestDigest: nil, pushed: nil, reference: nil,
            manifests: nil, verification: .init(status: "not-run", summary: "not run"), stages: [], log: "", finished: Date().formatted(.iso8601),
            seconds: (Date().timeIntervalSince(started) * 1000).rounded() / 1000, error: .init(stage: .base, message: message), kind: target,
            architecture: architecture
        )
    }

    /// The summary of a failed image, written beside it: no outputs, the stages run, where it stopped and why.
    private func failed(_ summary: BuildSummary, output: ImageOutput, started: Date, stage: BuildStage, message: String) -> BuildSummary {
        reporter.report(ProgressEvent(subject: subject, stage: stage.rawValue, detail: "FAILED: \(message)", completed: 0, total: nil, unit: .steps, finished: true))
        var failed = summary
        failed.status = .failed
        (failed.disk, failed.diskBytes, failed.layout, failed.manifestDigest, failed.pushed, failed.reference, failed.manifests) = (nil, nil, nil, nil, nil, nil, nil)
        failed.finished = Date().formatted(.iso8601)
        failed.seconds = (Date().timeIntervalSince(started) * 1000).rounded() / 1000
        failed.error = .init(stage: stage, message: message)
        try? output.write(failed)
        return failed
    }
}
