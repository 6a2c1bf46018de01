// The catalog entry of a built image, VM or pod: what it is, how it was built and verified, its SBOM and signature.
import Catalog
import Foundation
import Kube
import LabforgeRecipe
import OCI
import Verify

/// Turns a build summary into the portal catalog's entry.
enum CatalogEntries {
    /// The catalog entry of `summary`.
    /// - Parameters:
    ///   - summary: A built or unchanged image's summary.
    ///   - recipe: Its recipe.
    ///   - options: The run's options (push target, version, recipe sources).
    /// - Returns: The entry; pictures and the SBOM named relative to the catalog.
    /// - Throws: ``PipelineError/outputUnusable(path:reason:)`` when the summary names no layout or reference;
    ///   ``KubeError`` or ``OCIError`` when the layout cannot be described.
    ///   - index: The index the image is listed in, when it is one architecture of several: the entry then pins the
    ///     index and names every architecture.
    ///   - platformFirmware: Of an index, each other architecture's firmware basis (its verification), by architecture.
    static func entry(
        for summary: BuildSummary, recipe: Recipe, options: BuildOptions, index: IndexSummary? = nil, platformFirmware: [String: FirmwareBasis] = [:]
    ) throws -> CatalogEntry {
        guard let layout = summary.layout else {
            throw PipelineError.outputUnusable(path: summary.directory, reason: "no OCI layout in the summary")
        }
        let kind = summary.kind ?? .vm
        var description = try kind == .vm
            ? ImageDescriptions.describe(recipe, layout: layout, firmware: summary.firmware, target: options.push ?? options.referencePrefix)
            : podDescription(summary, recipe: recipe)
        if let index, let digest = index.digest {
            description.platformDigest = description.digest
            description.digest = try Digest(parsing: digest)
            description.architectures = index.architectures.map(\.rawValue)
        }
        let status = CatalogEntry.Verification.Status(rawValue: summary.verification.status) ?? .notRun
        // Files relative to the catalog: `<name>/<version>/…` (`…/container/…` for a pod image).
        let architecture = summary.architecture ?? .amd64
        let prefix = "\(recipe.name)/\(recipe.version)/" + (kind == .container ? ImageOutput.podDirectoryName + "/" : "")
            + (architecture == .amd64 ? "" : architecture.rawValue + "/")
        var entry = CatalogEntry(
            image: description,
            build: .init(
                time: summary.finished, recipeFingerprint: summary.fingerprint, baseImage: summary.baseImage, labforgeVersion: options.toolVersion,
                archiveDate: summary.archiveDate, recipeSource: options.recipeSources[recipe.name]),
            verification: .init(status: status, time: status == .notRun ? nil : summary.finished, summary: summary.verification.summary),
            sbom: summary.sbom.flatMap { record in
                (try? Digest(parsing: record.digest)).map {
                    CatalogEntry.SBOM(packages: record.packages, digest: $0, path: prefix + "sbom.spdx.json", referrer: record.referrer)
                }
            },
            signature: (index?.signature ?? summary.signature).map {
                CatalogEntry.Signature(keyFingerprint: $0.keyFingerprint, reference: $0.reference, attestations: $0.attestations, predicateTypes: $0.predicateTypes)
            },
            platformFirmware: platformFirmware
        )
        let relative = { (path: String?) in path.map { prefix + URL(fileURLWithPath: $0).lastPathComponent } }
        if let pictures = summary.verification.pictures {
            entry.pictures = CatalogEntry.Pictures(desktop: relative(pictures.desktop), terminal: relative(pictures.terminal))
        }
        entry.lab = CatalogEntry.Lab(recipe: recipe)
        if kind == .container {
            entry.kind = .container
            entry.instancetype = nil
            entry.preference = nil
        }
        return entry
    }

    /// A pod image as the catalog describes it: its pinned reference and layer sizes, the recipe's features.
    private static func podDescription(_ summary: BuildSummary, recipe: Recipe) throws -> ImageDescription {
        guard let reference = summary.reference, let digestText = summary.manifestDigest else {
            throw PipelineError.outputUnusable(path: summary.directory, reason: "no image reference in the pod image's summary")
        }
        let repository = String(reference.split(separator: "@").first?.split(separator: ":").dropLast().joined(separator: ":") ?? "")
        return ImageDescription(
            name: recipe.name, version: recipe.version, displayName: recipe.displayName, summary: recipe.description,
            operatingSystem: ImageDescriptions.operatingSystem(of: recipe.base).map(OperatingSystemLabel.init(parsing:)),
            repository: repository, tag: recipe.version, digest: try Digest(parsing: digestText), diskVirtualSize: summary.uncompressedBytes ?? 0,
            compressedSize: summary.imageBytes, agents: ExposedAgent.agents(of: recipe), labUser: ProbePlan(recipe: recipe).userName,
            credentialsSecret: "\(recipe.name)-credentials")
    }
}
