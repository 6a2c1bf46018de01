// One recipe built for several architectures: one OCI image index over its images, pushed under the version's tags,
// with the SBOMs as its referrers and a signature, and each architecture's manifests pinned to it.
import Foundation
import Kube
import LabforgeRecipe
import OCI
import Registry
import Reporting
import Signing

/// The images one index is made over: each architecture's job and what its build came to, in index order
/// (``BuildRunner/indexGroups(_:)``).
typealias IndexGroup = [(BuildRunner.Job, BuildSummary)]

/// Makes, pushes, attaches and signs one index over a recipe's per-architecture images, then writes each
/// architecture's manifests pinned to the index (a VM's `architecture` set; CDI's registry import picks the platform).
/// Run by the ``BuildDriver`` (``IndexBuilder``) after every image of the recipe; an image that failed fails the index
/// (nothing pushed under the tags). Its output is the index's summary, `status` left to the builder.
struct IndexStage: Stage {
    static let kind = BuildStage.index

    /// The annotation naming the architecture whose SBOM a referrer of the index holds.
    static let architectureAnnotation = "dev.labforge.architecture"

    /// What identifies the index and what it leads to: each architecture's manifest and SBOM digests (and what its
    /// manifests say of it: the verified firmware, a pod's uid), and where it
    /// goes (the push repository and the signing key's fingerprint, or the reference prefix its manifests name).
    func key(for group: IndexGroup, in context: StageContext) throws -> String? {
        let images = group.map { job, image in
            "\(job.architecture) \(image.manifestDigest ?? "-") sbom \(image.sbom?.digest ?? "-")"
                + (image.firmware.map { " firmware \($0.summary)" } ?? "") + (image.podUID.map { " uid \($0)" } ?? "")
        }
        let repository = StageContext.repository(of: context.recipe, target: context.target, under: context.pushTarget)
        let destination: String
        if let push = context.options.push {
            destination = "pushed to \(push.registry)/\(repository)" + (context.options.signingKey.map { " signed \($0.fingerprint)" } ?? "")
        } else {
            destination = "named \(context.pushTarget.registry)/\(repository), not pushed"
        }
        return images.joined(separator: ", ") + "; " + destination
    }

    func run(_ group: IndexGroup, key: String?, in context: StageContext) async throws -> StageResult<IndexSummary> {
        let (first, _) = group[0]
        let recipe = first.recipe
        if let failed = group.first(where: { $0.1.status == .failed }) {
            throw PipelineError.indexIncomplete(
                recipe: recipe.name, architecture: failed.0.architecture.rawValue,
                reason: failed.1.error.map { "\($0.stage.rawValue): \($0.message)" } ?? "failed")
        }
        let options = context.options
        let layoutPath = try ImageOutput.indexLayout(root: options.output, name: recipe.name, version: recipe.version, target: first.target)
        if let key, let previous = unchangedIndex(record: IndexBuilder.record(of: layoutPath), key: key, group: group, options: options) {
            return .cached(previous, "unchanged \(previous.digest ?? "")")
        }
        var summary = IndexSummary(
            name: recipe.name, version: recipe.version, kind: first.target, architectures: group.map(\.0.architecture), status: .built,
            layout: nil, digest: nil, reference: nil, pushed: nil, sbomReferrers: nil, signature: nil, manifests: [], error: nil, seconds: 0)
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
        let target = context.pushTarget
        let repository = StageContext.repository(of: recipe, target: first.target, under: target)
        summary.reference = "\(target.registry)/\(repository):\(recipe.version)@\(index.index.digest)"
        if let push = options.push {
            try await pushAndSign(index, group: group, repository: repository, push: push, into: &summary, in: context)
        }
        summary.manifests = try writeManifests(group, index: index, reference: summary.reference ?? "", target: target, options: options)
        let pushed = summary.pushed.map { "; pushed as \($0.tags.joined(separator: ", ")) with \(summary.sbomReferrers?.count ?? 0) SBOM referrers" } ?? ""
        let signed = summary.signature == nil ? "" : ", signed"
        return .ran(summary, "\(index.index.digest) over \(summary.architectures.map(\.rawValue).joined(separator: "+"))\(pushed)\(signed); manifests pinned to it")
    }

    /// The previous run's index, when its `index` stage had this key and its layout (listing exactly these images'
    /// manifests) and manifests are still in place.
    private func unchangedIndex(record: String, key: String, group: IndexGroup, options: BuildOptions) -> IndexSummary? {
        guard !options.force, let data = FileManager.default.contents(atPath: record),
              let previous = try? JSONDecoder().decode(IndexSummary.self, from: data), previous.status != .failed,
              previous.stages?.first(where: { $0.stage == .index })?.key == key, let layout = previous.layout,
              FileManager.default.fileExists(atPath: layout + "/index.json"), previous.manifests.allSatisfy(FileManager.default.fileExists(atPath:))
        else { return nil }
        guard let children = try? ImageLayout(path: layout).platformImages(tag: nil).map(\.descriptor.digest.description),
              children == group.compactMap(\.1.manifestDigest)
        else { return nil }
        return previous
    }

    /// Pushes the index under the version's tags (its images are in the registry already, pushed by digest), attaches each
    /// architecture's SBOM to it as a referrer and, with a key, signs it.
    private func pushAndSign(
        _ index: PackagedImageIndex, group: IndexGroup, repository: String, push: PushTarget, into summary: inout IndexSummary, in context: StageContext
    ) async throws {
        let recipe = group[0].0.recipe
        let options = context.options
        let credential = try await RegistryCredential.lookup(registry: push.registry, repository: repository, authFile: options.authFile)
        let name = try RepositoryName(repository)
        var tags = [recipe.version, options.datedTag(version: recipe.version)]
        if recipe.latest { tags.append("latest") }
        let layout = try ImageLayout(path: index.layout)
        let reporter = context.reporter
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
        _ group: IndexGroup, index: PackagedImageIndex, reference: String, target: PushTarget, options: BuildOptions
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
                let manifests = PodLabManifests(
                    recipe: recipe, plan: plan, image: reference, uid: uid, recipeFingerprint: try recipe.fingerprint, architectures: group.map(\.0.architecture))
                _ = try ManifestWriter.write(try manifests.files(), to: output.manifests)
            }
            written.append(output.manifests)
        }
        return written
    }
}
