// One recipe built for several architectures: one OCI image index over its images, pushed under the version's tags,
// with the SBOMs as its referrers and a signature, and each architecture's manifests pinned to it.
import AtomicFile
import Foundation
import Kube
import LabforgeRecipe
import Logging
import OCI
import Registry
import Reporting
import Signing

/// What the index of one recipe's images came to (in the `--json` report's `indexes`).
public struct IndexSummary: Sendable, Codable, Equatable {
    /// Recipe name and version.
    public var name: String, version: String
    /// VM or pod images.
    public var kind: BuildTarget
    /// The architectures it lists, in index order.
    public var architectures: [Architecture]
    /// `built`, `unchanged` (every image unchanged and the index as before) or `failed`.
    public var status: BuildSummary.Status
    /// The multi-architecture layout.
    public var layout: String?
    /// The index's digest.
    public var digest: String?
    /// `registry/repository:version@sha256:…` of the index: what manifests and the catalog pin.
    public var reference: String?
    /// Where the index was pushed (nil: no `--push`).
    public var pushed: BuildSummary.Pushed?
    /// Each architecture's SBOM attached to the index as a referrer (`registry/repository@sha256:…`).
    public var sbomReferrers: [String]?
    /// The index's cosign signature (nil: no key, or not pushed).
    public var signature: BuildSummary.SignatureRecord?
    /// Each architecture's manifests directory (written pinned to the index).
    public var manifests: [String]
    /// Why it failed.
    public var error: String?
    /// Seconds it took.
    public var seconds: Double
}

/// Makes, pushes, attaches and signs one index over a recipe's per-architecture images, then writes each
/// architecture's manifests pinned to the index (a VM's `architecture` set; CDI's registry import picks the platform).
/// Runs after every image of the recipe; an image that failed fails the index (nothing pushed under the tags).
struct IndexStage: Sendable {
    /// The annotation naming the architecture whose SBOM a referrer of the index holds.
    static let architectureAnnotation = "dev.labforge.architecture"

    let options: BuildOptions
    let reporter: any ProgressReporter
    let logger: Logger

    /// The index of one group (``BuildRunner/indexGroups(_:)``).
    func run(_ group: [(BuildRunner.Job, BuildSummary)]) async -> IndexSummary {
        let started = Date()
        let (first, _) = group[0]
        let recipe = first.recipe
        var summary = IndexSummary(
            name: recipe.name, version: recipe.version, kind: first.target, architectures: group.map(\.0.architecture), status: .failed,
            layout: nil, digest: nil, reference: nil, pushed: nil, sbomReferrers: nil, signature: nil, manifests: [], error: nil, seconds: 0)
        let subject = "\(recipe.name) index"
        do {
            if let failed = group.first(where: { $0.1.status == .failed }) {
                throw PipelineError.indexIncomplete(
                    recipe: recipe.name, architecture: failed.0.architecture.rawValue,
                    reason: failed.1.error.map { "\($0.stage.rawValue): \($0.message)" } ?? "failed")
            }
            reporter.report(ProgressEvent(subject: subject, stage: "index", detail: group.map(\.0.architecture.rawValue).joined(separator: "+"), completed: 0, total: 3, unit: .steps))
            let layoutPath = try ImageOutput.indexLayout(root: options.output, name: recipe.name, version: recipe.version, target: first.target)
            let record = layoutPath + ".summary.json"
            if var previous = unchangedIndex(record: record, group: group) {
                previous.status = .unchanged
                previous.seconds = (Date().timeIntervalSince(started) * 1000).rounded() / 1000
                reporter.report(ProgressEvent(subject: subject, stage: "index", detail: "unchanged \(previous.digest ?? "")", completed: 3, total: 3, unit: .steps, finished: true))
                return previous
            }
            let layouts = try group.map { job, image in
                guard let layout = image.layout else { throw PipelineError.outputUnusable(path: image.directory, reason: "no OCI layout in the \(job.architecture) image's summary") }
                return layout
            }
            var indexAnnotations = [AnnotationKey.version: recipe.version]
            if let epoch = options.sourceDateEpoch { indexAnnotations[AnnotationKey.created] = ReproducibleTime.rfc3339(epoch) }
            let annotations = indexAnnotations
            let tag = try Tag(recipe.version)
            let index = try await DedicatedThread.run(name: "labforge.index.\(recipe.name)") {
                try MultiArchLayout.write(images: layouts, into: layoutPath, tag: tag, annotations: annotations, force: true)
            }
            summary.layout = index.layout
            summary.digest = index.index.digest.description
            let target = options.push ?? options.referencePrefix
            let repository = StageContext.repository(of: recipe, target: first.target, under: target)
            summary.reference = "\(target.registry)/\(repository):\(recipe.version)@\(index.index.digest)"
            if let push = options.push {
                reporter.report(ProgressEvent(subject: subject, stage: "push", detail: "\(push.registry)/\(repository)", completed: 1, total: 3, unit: .steps))
                try await pushAndSign(index, group: group, repository: repository, push: push, into: &summary)
            }
            reporter.report(ProgressEvent(subject: subject, stage: "manifests", detail: "pinned to \(index.index.digest)", completed: 2, total: 3, unit: .steps))
            summary.manifests = try writeManifests(group, index: index, reference: summary.reference ?? "", target: target)
            summary.status = .built
            summary.seconds = (Date().timeIntervalSince(started) * 1000).rounded() / 1000
            try ImageOutput.writeRecord(summary, to: record)
        } catch {
            summary.error = "\(error)"
            summary.seconds = (Date().timeIntervalSince(started) * 1000).rounded() / 1000
            logger.error("\(recipe.name) \(recipe.version): index not made: \(error)")
        }
        reporter.report(ProgressEvent(
            subject: subject, stage: "index", detail: summary.error.map { "FAILED: \($0)" } ?? "\(summary.status.rawValue) \(summary.digest ?? "")",
            completed: 3, total: 3, unit: .steps, finished: true))
        return summary
    }

    /// The previous run's index, when every image is unchanged and it was made, pushed and signed as this run would.
    private func unchangedIndex(record: String, group: [(BuildRunner.Job, BuildSummary)]) -> IndexSummary? {
        guard !options.force, group.allSatisfy({ $0.1.status == .unchanged }), let data = FileManager.default.contents(atPath: record),
              let previous = try? JSONDecoder().decode(IndexSummary.self, from: data), previous.status != .failed,
              previous.architectures == group.map(\.0.architecture), let layout = previous.layout,
              FileManager.default.fileExists(atPath: layout + "/index.json"), previous.manifests.allSatisfy(FileManager.default.fileExists(atPath:))
        else { return nil }
        // The index lists exactly these images' manifests.
        guard let children = try? ImageLayout(path: layout).platformImages(tag: nil).map(\.descriptor.digest.description),
              children == group.compactMap(\.1.manifestDigest)
        else { return nil }
        let repository = StageContext.repository(of: group[0].0.recipe, target: group[0].0.target, under: options.push ?? options.referencePrefix)
        if let push = options.push {
            guard previous.pushed?.repository == "\(push.registry)/\(repository)" else { return nil }
            if let key = options.signingKey, previous.signature?.keyFingerprint != key.fingerprint { return nil }
        } else if previous.pushed != nil {
            return nil
        }
        return previous
    }

    /// Pushes the index under the version's tags (its images are in the registry already, pushed by digest), attaches each
    /// architecture's SBOM to it as a referrer and, with a key, signs it.
    private func pushAndSign(
        _ index: PackagedImageIndex, group: [(BuildRunner.Job, BuildSummary)], repository: String, push: PushTarget, into summary: inout IndexSummary
    ) async throws {
        let recipe = group[0].0.recipe
        let credential = try await RegistryCredential.lookup(registry: push.registry, repository: repository, authFile: options.authFile)
        let name = try RepositoryName(repository)
        var tags = [recipe.version, options.datedTag(version: recipe.version)]
        if recipe.latest { tags.append("latest") }
        let layout = try ImageLayout(path: index.layout)
        let reporter = self.reporter
        let sourceDateEpoch = options.sourceDateEpoch
        let signingKey = options.signingKey
        // One connection for the index, its referrers and its signature.
        let (result, attached, signature) = try await RegistryClient.withConnection(to: push.registry, credential: credential) { client in
            let result = try await LayoutPusher(destination: client, progress: reporter).push(layout: layout, sourceTag: nil, to: name, tags: try tags.map { try Tag($0) })
            var attached: [String] = []
            for (job, image) in group {
                guard let sbom = image.sbom else { continue }
                let content = try Data(contentsOf: URL(fileURLWithPath: sbom.path))
                var annotations = [IndexStage.architectureAnnotation: job.architecture.rawValue]
                if let epoch = sourceDateEpoch { annotations[AnnotationKey.created] = ReproducibleTime.rfc3339(epoch) }
                let referrer = try await ReferrerPusher(client: client).attach(
                    content, fileName: "sbom-\(job.architecture).spdx.json", artifactType: "application/spdx+json", to: index.index, in: name, annotations: annotations)
                attached.append(referrer.manifest.digest.description)
            }
            var signature: BuildSummary.SignatureRecord?
            if let key = signingKey {
                let signStarted = Date()
                _ = try await CosignSignature.sign(index.index.digest, in: name, client: client, key: key)
                signature = .init(
                    reference: "\(push.registry)/\(repository):\(CosignSignature.tag(for: index.index.digest))", keyFingerprint: key.fingerprint,
                    seconds: Date().timeIntervalSince(signStarted))
            }
            return (result, attached, signature)
        }
        summary.pushed = .init(reference: result.reference, repository: "\(push.registry)/\(repository)", tags: result.tags)
        summary.reference = "\(push.registry)/\(repository):\(recipe.version)@\(index.index.digest)"
        summary.sbomReferrers = attached.map { "\(push.registry)/\(repository)@\($0)" }
        summary.signature = signature
    }

    /// Each architecture's manifests, pinned to the index: a VM's description names the index's digest, its own
    /// manifest's as the platform's, and the index's architectures; a pod lab's Deployment names the index.
    private func writeManifests(
        _ group: [(BuildRunner.Job, BuildSummary)], index: PackagedImageIndex, reference: String, target: PushTarget
    ) throws -> [String] {
        let architectures = group.map(\.0.architecture.rawValue)
        var written: [String] = []
        for (job, image) in group {
            let recipe = try job.recipe.building(for: job.architecture)
            let output = try ImageOutput(root: options.output, name: recipe.name, version: recipe.version, target: job.target, architecture: job.architecture)
            switch job.target {
            case .vm:
                guard let layout = image.layout else { continue }
                var description = try ImageDescriptions.describe(recipe, layout: layout, firmware: image.firmware, target: target)
                description.platformDigest = description.digest
                description.digest = index.index.digest
                description.architectures = architectures
                _ = try ManifestWriter.write(try ManifestSet(image: description).files(), to: output.manifests)
            case .container:
                guard let uid = image.podUID else { continue }
                let plan = try ContainerPlan(recipe: recipe)
                let manifests = PodLabManifests(recipe: recipe, plan: plan, image: reference, uid: uid, recipeFingerprint: try recipe.fingerprint)
                _ = try ManifestWriter.write(try manifests.files(), to: output.manifests)
            }
            written.append(output.manifests)
        }
        return written
    }
}
