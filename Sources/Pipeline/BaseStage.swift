// The base stage: the recipe's base downloaded or bootstrapped (the base store caches it).
import Bases
import Customize
import Foundation
import LabforgeRecipe

/// Resolves the base a VM image is customized from: a pinned download or a Debian bootstrap (with the recipe's
/// leading install steps installed on the host, ``HostPackagePlan``). Cached by the base store under its key.
struct BaseStage: Stage {
    static let kind = BuildStage.base
    /// The install steps the bootstrap does on the host (nil: none).
    var hostPackages: HostPackagePlan?

    func key(for base: BaseImage, in context: StageContext) throws -> String? { context.fingerprint.baseIdentity }

    func run(_ base: BaseImage, key: String?, in context: StageContext) async throws -> StageResult<ResolvedBase> {
        if let host = hostPackages {
            context.log.line("steps \(host.steps.map(String.init).joined(separator: ", ")) install on the host, in the bootstrapped base: \(host.packages.joined(separator: " "))")
        }
        // Pinned .debs the bootstrap installs come from the recipe's artifact cache, verified like the appliance's.
        var pinnedFiles: [String: String] = [:]
        if case .debianBootstrap(let spec) = base {
            let artifacts = ArtifactCache(directory: context.cache.artifacts, locks: context.cache.locks)
            for artifact in spec.pinnedPackages.compactMap(\.source.artifact) where pinnedFiles[artifact.sha256] == nil {
                pinnedFiles[artifact.sha256] = try await artifacts.fetch(artifact, leases: context.leases)
            }
        }
        let resolved = try await context.store.resolve(base, pinnedFiles: pinnedFiles, progress: context.reporter, leases: context.leases)
        context.log.line("base: \(resolved.path) (\(resolved.identity))")
        return StageResult(output: resolved, outcome: resolved.wasCached ? .cached : .ran, detail: resolved.identity)
    }
}
