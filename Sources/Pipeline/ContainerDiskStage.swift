// The package stage of a VM image: the final disk as a KubeVirt containerDisk OCI layout.
import EngineIdentity
import Foundation
import Kube
import LabforgeRecipe
import OCI
import Reporting

/// Packs the disk (linked into the output directory first) as a containerDisk layout; an existing layout packed from
/// the same key (fingerprint, compression, repository, packer identity, firmware label, admitted preference) is kept.
/// The config records the claimed firmware and names the recipe's preference only when the firmware basis admits it.
struct ContainerDiskStage: Stage {
    static let kind = BuildStage.package
    /// The manifest annotation that records what a layout was packed from.
    static let buildKeyAnnotation = "dev.labforge.build-key"

    func key(for input: ContainerDiskInput, in context: StageContext) throws -> String? {
        let preference = input.firmware.admittedPreference(context.recipe.preference)
        let lab = Self.labAnnotations(context.recipe).sorted { $0.key < $1.key }.map { " \($0.key)=\($0.value)" }.joined()
        return "\(context.fingerprint.hex) \(context.options.layerCompression.rawValue) \(context.repository) \(EngineIdentity.packaging)"
            + " firmware=\(context.recipe.firmware.map(\.rawValue).joined(separator: ",")) preference=\(preference ?? "-")"
            + (context.architecture == .amd64 ? "" : " architecture=\(context.architecture)") + lab
    }

    /// What the lab's life needs from the platform, as manifest annotations `manifests` and `class` read from the layout:
    /// it powers itself off (``AnnotationKey/labStopsItself``), it mounts a home disk (``AnnotationKey/labHomeDisk``).
    /// - Parameter recipe: The recipe.
    /// - Returns: The annotations, empty for an image without either.
    static func labAnnotations(_ recipe: Recipe) -> [String: String] {
        var annotations: [String: String] = [:]
        if ImageDescription.stopsItself(recipe) { annotations[AnnotationKey.labStopsItself] = "true" }
        if PersistentHome.isIncluded(in: recipe) { annotations[AnnotationKey.labHomeDisk] = PersistentHome.diskSerial }
        return annotations
    }

    func run(_ input: ContainerDiskInput, key: String?, in context: StageContext) async throws -> StageResult<PackagedImage> {
        let output = context.output
        if !DiskFile.sameFile(input.disk.path, output.disk) { try DiskFile.link(input.disk.path, to: output.disk) }
        let disk = output.disk
        let key = key ?? ""
        if !context.options.force, let layout = try? ImageLayout(path: output.layout), let (descriptor, _, manifest) = try? layout.manifest(tag: nil),
           manifest.annotations?[Self.buildKeyAnnotation] == key {
            return .cached(PackagedImage(layout: output.layout, digest: descriptor.digest.description, disk: disk), "\(descriptor.digest)")
        }
        let recipe = context.recipe
        let options = ContainerDiskOptions(
            name: try RepositoryName(context.repository), tag: try Tag(recipe.version), compression: context.options.layerCompression,
            annotations: Self.labAnnotations(recipe).merging(
                [AnnotationKey.title: recipe.displayName, AnnotationKey.description: recipe.description, Self.buildKeyAnnotation: key]) { $1 },
            instancetype: recipe.instancetype, preference: input.firmware.admittedPreference(recipe.preference), firmware: recipe.firmware.map(\.rawValue),
            architecture: context.architecture.rawValue, timestamp: context.options.sourceDateEpoch ?? ReproducibleTime.fallback, force: true
        )
        let packer = ContainerDiskPacker(progress: context.reporter)
        let layoutPath = output.layout
        let result = try await DedicatedThread.run(name: "labforge.package.\(recipe.name)") {
            try packer.package(disk: disk, into: layoutPath, options: options)
        }
        return .ran(
            PackagedImage(layout: result.layout, digest: result.manifestDigest.description, layerBytes: result.layerSize, disk: disk),
            "\(result.manifestDigest), layer \(ByteCount.format(result.layerSize)) (\(result.compression.rawValue))")
    }
}
