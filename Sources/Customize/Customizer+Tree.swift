// A foreign architecture's customization: the recipe's steps in the base's root tree on the host, under qemu-user.
import Bases
import DiskImage
import EngineIdentity
import Foundation
import LabforgeRecipe
import Reporting
import SBOM

/// The customized root tree of a foreign-architecture image, before its disk is written.
public struct CustomizedTree: Sendable {
    /// The tree (in the caller's work directory).
    public var root: String
    /// Timings (``CustomizationResult/output`` is the tree; the accelerator is `qemu-user`).
    public var result: CustomizationResult
    /// The inventory read from the tree once every step was done, when ``Customizer/inventory`` asked for it.
    public var inventory: InventoryRead?
    /// The bootstrap the tree came from: its disk is written with this layout (the root UUID its `grub.cfg` names).
    public var bootstrap: DebianBootstrap
}

extension Customizer {
    /// Customizes a foreign architecture's base: its root tree (a ``Bases/BaseContent/rootTreeArchive``) extracted into
    /// `workDirectory/root`, every step of the recipe run there as it runs in the appliance — the same ``GuestBuild``
    /// steps, programs run chrooted in the tree (binfmt_misc hands them to qemu-user): the libguestfs appliance is
    /// x86_64 and cannot run another architecture's programs. The disk is written from the tree afterwards
    /// (``Bases/DebianBootstrapper/writeDisk(rootTree:spec:sizeGiB:output:log:)``). No step cache: the base tree
    /// itself is cached, the steps run again.
    /// - Parameters:
    ///   - recipe: The recipe (as built for its architecture).
    ///   - baseArchive: The base's root tree archive; never modified.
    ///   - baseIdentity: What identifies the base (for the log).
    ///   - workDirectory: A private directory the caller made and removes.
    ///   - leases: Where the artifacts it reads stay leased.
    /// - Returns: The tree, timings, and the inventory when ``inventory`` asked for it.
    /// - Throws: ``CustomizeError``, ``Bases/BasesError`` when the archive cannot be extracted.
    public func customizeTree(
        recipe: Recipe, baseArchive: String, baseIdentity: String, workDirectory: String, leases: CacheLeases
    ) async throws -> CustomizedTree {
        let started = Date()
        do { try recipe.validate() } catch let error as RecipeError { throw CustomizeError.invalidRecipe(error) }
        guard FileManager.default.isReadableFile(atPath: baseArchive) else { throw CustomizeError.baseNotFound(baseArchive) }
        guard case .debianBootstrap(let bootstrap) = recipe.base else {
            throw CustomizeError.invalidRecipe(.architectureNeedsBootstrap(recipe: recipe.name, architecture: recipe.architectures.first?.rawValue ?? "?"))
        }
        let artifacts = try await fetchArtifacts(recipe.plan, leases: leases)
        let root = workDirectory + "/root"
        log("labforge customize \(recipe.name) \(recipe.version) for \(recipe.architectures.map(\.rawValue).joined(separator: ",")) in a host root tree (fingerprint \(try recipe.fingerprint), engine \(EngineIdentity.summary))\nbase: \(baseArchive) (\(baseIdentity))\n")
        let extractStarted = Date()
        try await DebianBootstrapper.extractRootTree(archive: baseArchive, into: root)
        let extractSeconds = Date().timeIntervalSince(extractStarted)
        log("root tree extracted in \(String(format: "%.1f", extractSeconds)) s: \(root)\n")
        return try await DedicatedThread.run(name: "labforge.customize.\(recipe.name)") {
            try buildTree(
                recipe: recipe, root: root, bootstrap: bootstrap, baseArchive: baseArchive, artifacts: artifacts, extractSeconds: extractSeconds,
                started: started)
        }
    }

    private func buildTree(
        recipe: Recipe, root: String, bootstrap: DebianBootstrap, baseArchive: String, artifacts: [PinnedArtifact: String], extractSeconds: Double,
        started: Date
    ) throws -> CustomizedTree {
        let plan = recipe.plan
        let build = GuestBuild(
            workspace: .hostTree(HostRootTree(root: root, foreignArchitecture: recipe.architectures.first.flatMap { ForeignArchitecture.isForeign($0) ? $0 : nil })),
            manager: .apt, artifacts: artifacts,
            plan: plan.filter { !hostInstalledSteps.contains($0.number) }, log: log)
        // A kernel a step installs runs Debian's zz-update-grub in the chroot: its grub-probe must answer for the disk the
        // tree becomes, not for the host's file system. The real one is back before the tree is read or written.
        let standIn = try GrubProbeStandIn.install(in: root, spec: bootstrap)
        let timings = try run(plan: plan, recipe: recipe, build: build, resumeAfter: 0) { _ in }
        try build.finish()
        try standIn.remove()
        let inventory = inventory.map { request in
            let readStarted = Date()
            do {
                let read = try TreeInventoryReader().read(
                    root: root, subject: request.subject, filePaths: request.filePaths, artifacts: request.artifacts, base: request.base)
                return InventoryRead(inventory: read, seconds: Date().timeIntervalSince(readStarted), note: "read from the root tree")
            } catch {
                return InventoryRead(inventory: nil, seconds: Date().timeIntervalSince(readStarted), note: "\(error)")
            }
        }
        let result = CustomizationResult(
            recipe: recipe.name, version: recipe.version, fingerprint: try recipe.fingerprint, base: baseArchive, output: root, outputBytes: 0,
            accelerator: "qemu-user", packageManager: build.manager.rawValue, launchSeconds: extractSeconds, steps: timings,
            totalSeconds: Date().timeIntervalSince(started), resumedAfterStep: nil, snapshotsWritten: nil, finalizeSeconds: nil)
        reporter.report(ProgressEvent(
            subject: recipe.name, stage: "customize", detail: "done in \(String(format: "%.1f", result.totalSeconds)) s",
            completed: Int64(plan.count), total: Int64(plan.count), unit: .steps, finished: true))
        return CustomizedTree(root: root, result: result, inventory: inventory, bootstrap: bootstrap)
    }
}
