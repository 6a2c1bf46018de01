// The manifests stage: the Kubernetes objects that run the image, pinned by digest (VM labs and pod labs).
import Foundation
import Kube
import LabforgeRecipe
import Verify

/// Writes the manifests of the pinned reference into the output directory (safe defaults, Kube's ``RouteRule``: a
/// NetworkPolicy admitting nothing, no routes, no RoleBinding; `labforge manifests` writes those when asked).
struct ManifestsStage: Stage {
    static let kind = BuildStage.manifests

    func key(for input: ManifestsInput, in context: StageContext) throws -> String? { nil }

    func run(_ input: ManifestsInput, key: String?, in context: StageContext) async throws -> StageResult<String> {
        let directory = context.output.manifests
        if context.partOfIndex {
            return .skipped(directory, "written with the \(context.recipe.name) index, pinned to its digest")
        }
        switch input {
        case .vm(let layout, let firmware):
            let description = try ImageDescriptions.describe(context.recipe, layout: layout, firmware: firmware, target: context.pushTarget)
            let set = try ManifestSet(image: description)
            let paths = try ManifestWriter.write(try set.files(), to: directory)
            let left = set.rule.writesRoutes ? "" : "; no routes, no RoleBinding (`labforge manifests` with --host, --gateway, --auth-header, --access-user writes them)"
            return .ran(directory, "\(paths.count) files for \(description.pinnedReference)\(left)")
        case .pod(let plan, let uid, let reference):
            let manifests = PodLabManifests(recipe: context.recipe, plan: plan, image: reference, uid: uid, recipeFingerprint: try context.recipe.fingerprint)
            let paths = try ManifestWriter.write(try manifests.files(), to: directory)
            return .ran(directory, "\(paths.count) files for \(reference)")
        }
    }
}

/// How manifests and the catalog describe an image: facts from its layout, the rest from the recipe.
enum ImageDescriptions {
    /// A VM image's description.
    /// - Parameters:
    ///   - recipe: The recipe.
    ///   - layout: The containerDisk layout.
    ///   - firmware: The claimed firmwares and their verification (nil: the layout's label, not verified).
    ///   - target: Where the image is pushed (or the prefix manifests name).
    /// - Returns: The description.
    /// - Throws: ``KubeError`` or ``OCIError``.
    static func describe(_ recipe: Recipe, layout: String, firmware: FirmwareBasis?, target: PushTarget) throws -> ImageDescription {
        var inputs = ImageInputs()
        inputs.name = recipe.name
        inputs.version = recipe.version
        inputs.displayName = recipe.displayName
        inputs.summary = recipe.description
        inputs.operatingSystem = operatingSystem(of: recipe.base)
        inputs.reference = "\(target.registry)/\(target.repository(for: recipe.name)):\(recipe.version)"
        inputs.instancetype = recipe.instancetype
        inputs.preference = recipe.preference
        inputs.firmware = firmware
        inputs.agents = ExposedAgent.agents(of: recipe)
        inputs.guestAgent = ImageDescription.runsGuestAgent(recipe)
        inputs.stopsItself = ImageDescription.stopsItself(recipe)
        inputs.mountsHomeDisk = PersistentHome.isIncluded(in: recipe)
        inputs.labUser = ProbePlan(recipe: recipe).userName
        // Agents that wait for credentials given at boot get them from a Secret disk; without one they stay down.
        if AgentAccess(recipe: recipe).needsBootCredentials, inputs.agents?.isEmpty == false {
            inputs.credentialsSecret = "\(recipe.name)-credentials"
        }
        return try ImageDescription.resolve(.layout(path: layout, tag: nil), inputs: inputs).0
    }

    /// `debian-13` for a trixie bootstrap; the well-known name's `<os>-<version>` prefix for upstream images.
    static func operatingSystem(of base: BaseImage) -> String? {
        switch base {
        case .debianBootstrap(let spec):
            let versions = ["bookworm": "12", "trixie": "13", "forky": "14"]
            return versions[spec.suite].map { "debian-\($0)" } ?? "debian"
        case .upstream(let image):
            let parts = image.name.split(separator: "-")
            guard parts.count >= 2, parts[1].first?.isNumber == true else { return parts.first.map(String.init) }
            return "\(parts[0])-\(parts[1])"
        case .localFile:
            return nil
        }
    }
}
