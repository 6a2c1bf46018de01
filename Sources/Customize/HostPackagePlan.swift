// Which of a recipe's install steps a Debian bootstrap can do on the host (mmdebstrap --include) instead of the appliance.
import LabforgeRecipe

/// The install steps of a recipe that mmdebstrap installs on the host when the base is a labforge bootstrap:
/// the first package batch (the first install step and the installs merged into it, see
/// ``StepCachePlan/batches(_:)``), when nothing but disk growth comes before it, limited to steps that ask
/// for packages of the guest's own repositories or pinned `.deb` files (always the file, or "repositories,
/// else this file", decided in the bootstrap's chroot as the appliance would). Pinned executables stay in
/// the appliance.
///
/// This keeps the order the appliance would use: a batch already runs its packages at its first step.
public struct HostPackagePlan: Sendable, Equatable {
    /// Step numbers done on the host.
    public var steps: [Int]
    /// Their repository packages, in plan order, each once.
    public var packages: [String]
    /// Their packages from pinned `.deb` files, in plan order, each once.
    public var pinned: [PackageRequest]

    /// Picks the host steps of `plan`.
    /// - Parameter plan: The recipe's resolved plan.
    public init(plan: [PlannedStep]) {
        steps = []
        packages = []
        pinned = []
        guard let first = plan.firstIndex(where: { if case .install = $0.step { return true } else { return false } }) else { return }
        let onlyGrowthBefore = plan[..<first].allSatisfy { if case .growRoot = $0.step { return true } else { return false } }
        guard onlyGrowthBefore else { return }
        let leader = plan[first].number
        let batchedInto = StepCachePlan.batches(plan)
        for planned in plan where planned.number == leader || batchedInto[planned.number] == leader {
            guard case .install(let requests) = planned.step, requests.allSatisfy(Self.isHostInstallable) else { continue }
            steps.append(planned.number)
            for request in requests {
                if case .repositories = request.source {
                    if !packages.contains(request.name) { packages.append(request.name) }
                } else if !pinned.contains(request) {
                    pinned.append(request)
                }
            }
        }
    }

    /// A repository package or a pinned `.deb` (not a pinned executable, which is copied into place).
    static func isHostInstallable(_ request: PackageRequest) -> Bool {
        switch request.source {
        case .repositories: return true
        case .artifact(let artifact), .repositoriesElse(let artifact): return artifact.kind == .package
        }
    }

    /// Whether no step moves to the host.
    public var isEmpty: Bool { steps.isEmpty }

    /// `spec` with these packages added: the base a recipe's image is customized from when its host steps are done
    /// by the bootstrap (a base of its own, keyed by the package set).
    /// - Parameter spec: The recipe's bootstrap.
    /// - Returns: The bootstrap that installs the host steps' packages too.
    public func adding(to spec: DebianBootstrap) -> DebianBootstrap {
        var built = spec
        built.extraPackages += packages.filter { !spec.extraPackages.contains($0) }
        built.pinnedPackages += pinned.filter { !spec.pinnedPackages.contains($0) }
        return built
    }
}
