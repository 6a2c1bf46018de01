// The pod image's producer, second half: the root tree packed as an OCI image that runs the lab under its supervisor.
import Customize
import Foundation
import LabforgeRecipe
import OCI
import Reporting
import Verify

/// Packs the root tree as one layer (no device nodes, setuid/setgid bits stripped) with a config that runs the lab
/// supervisor as the lab user, its ports exposed and labforge's annotations (recipe, fingerprints, probes, user).
struct ContainerImageStage: Stage {
    static let kind = BuildStage.package

    func key(for tree: RootTree, in context: StageContext) throws -> String? { context.fingerprint.hex }

    func run(_ tree: RootTree, key: String?, in context: StageContext) async throws -> StageResult<PackagedImage> {
        let recipe = context.recipe
        let plan = tree.plan
        var annotations = [
            AnnotationKey.description: recipe.description,
            AnnotationKey.source: "labforge recipe \(recipe.name)",
            ContainerImageAnnotation.recipe: recipe.name,
            ContainerImageAnnotation.recipeFingerprint: try recipe.fingerprint,
            ContainerImageAnnotation.buildFingerprint: context.fingerprint.hex,
            ContainerImageAnnotation.kind: BuildTarget.container.rawValue,
            ImageVerifier.probesLabel: ImageVerifier.containerTargets(ProbePlan(recipe: recipe)).targets.map(\.argument).joined(separator: ","),
            ImageVerifier.userLabel: plan.labUser,
        ]
        if let revision = ProcessInfo.processInfo.environment["LABFORGE_SOURCE_REVISION"] { annotations[AnnotationKey.revision] = revision }
        let options = ContainerImageOptions(
            name: try RepositoryName(recipe.name + ImageOutput.podRepositorySuffix), tag: try Tag(recipe.version),
            compression: context.options.layerCompression == .zstd ? .zstd : .gzip, user: "\(tree.uid):\(tree.gid)",
            exposedPorts: plan.ports.map(\.port), environment: [
                "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=\(tree.home)", "USER=\(plan.labUser)",
                "LANG=C.UTF-8", "TERM=xterm-256color",
            ], workingDirectory: tree.home, entrypoint: LabSupervisor.entrypoint, annotations: annotations,
            architecture: context.architecture.rawValue, timestamp: context.options.sourceDateEpoch ?? ReproducibleTime.fallback, force: true)
        let packer = ContainerImagePacker(progress: context.reporter)
        let layout = context.output.layout
        let packaged = try await DedicatedThread.run(name: "labforge.package.\(recipe.name)") {
            try packer.package(tree: tree.path, into: layout, options: options)
        }
        let layer = packaged.layer
        context.log.line("layer \(layer.digest): \(ByteCount.format(layer.size)) (\(ByteCount.format(layer.uncompressedSize)) uncompressed, \(layer.entries) entries, \(layer.skippedSpecialFiles) device nodes left out); manifest \(packaged.manifestDigest) in \(String(format: "%.1f", packaged.seconds)) s")
        if !layer.strippedSetuid.isEmpty { context.log.line("setuid/setgid removed while packing: \(layer.strippedSetuid.joined(separator: " "))") }
        return .ran(
            PackagedImage(layout: layout, digest: packaged.manifestDigest.description, layerBytes: layer.size, uncompressedBytes: layer.uncompressedSize),
            "\(packaged.manifestDigest), layer \(ByteCount.format(layer.size)) (\(ByteCount.format(layer.uncompressedSize)) uncompressed)")
    }
}

/// Annotations labforge adds to a pod lab image.
public enum ContainerImageAnnotation {
    /// The recipe's name.
    public static let recipe = "dev.labforge.recipe"
    /// The recipe's fingerprint (steps and metadata).
    public static let recipeFingerprint = "dev.labforge.recipe.fingerprint"
    /// Everything the image was built from.
    public static let buildFingerprint = "dev.labforge.build.fingerprint"
    /// `container` (a containerDisk says `vm` by its disk annotations).
    public static let kind = "dev.labforge.kind"
}
