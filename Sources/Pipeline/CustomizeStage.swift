// The customize stage: the recipe's steps in one libguestfs appliance, into an overlay the finalize stage flattens.
import Bases
import Customize
import DiskImage
import Foundation
import Reporting
import SBOM

/// Runs the recipe's steps on the base (resuming from the step cache) into a private overlay, and reads the SBOM's
/// inventory in the same appliance before it closes. One build per fingerprint at a time, across processes: the
/// fingerprint's cache entry is claimed here (exclusive until the finalize stage has put the disk in place); a second
/// build waits and takes the finished disk.
struct CustomizeStage: Stage {
    static let kind = BuildStage.customize
    /// Steps the bootstrap already installed on the host.
    var hostInstalledSteps: Set<Int>

    func key(for base: ResolvedBase, in context: StageContext) throws -> String? { context.fingerprint.hex }

    func run(_ base: ResolvedBase, key: String?, in context: StageContext) async throws -> StageResult<CustomizedDisk> {
        let cache = context.cache
        try cache.prepare()
        let disk = cache.disk(context.fingerprint)
        let claim = try await cache.locks.claim(
            context.fingerprint.hex, exists: { !context.options.force && FileManager.default.fileExists(atPath: disk) },
            onWait: { context.log.line("waiting for another build of fingerprint \(context.fingerprint.short)") })
        switch claim {
        case .existing(let lock):
            // Leased shared until the build ends, so `labforge cache prune` leaves it alone.
            context.leases.keep(lock)
            ImageCache.touch(disk)
            return .cached(CustomizedDisk(form: .finished(disk), inventory: nil), "\(disk) (\(ByteCount.format(DiskFile.allocatedBytes(disk))))")
        case .toMake(let lock):
            // Held exclusive (and released with the build's leases should it fail) until finalize turns it shared.
            context.leases.keep(lock)
            let work = cache.workDirectory(context.fingerprint)
            try FileAccess.makePrivateDirectory(work)
            Interruption.register(work)
            do {
                var customizer = Customizer(
                    memoryMiB: context.options.applianceMemoryMiB, cpus: Int32(context.options.cpus),
                    cache: ArtifactCache(directory: cache.artifacts, locks: cache.locks), reporter: context.reporter, logger: context.logger,
                    log: { context.log.write($0) })
                customizer.hostInstalledSteps = hostInstalledSteps
                customizer.inventory = SBOMStage.request(for: context)
                if base.content == .rootTreeArchive {
                    return try await customizeTree(base, customizer: customizer, work: work, entry: lock, in: context)
                }
                customizer.stepCache = StepCache(directory: cache.snapshots, locks: cache.locks)
                let customized = try await customizer.customizeOverlay(
                    recipe: context.recipe, base: base.path, baseIdentity: context.fingerprint.baseIdentity, workDirectory: work, leases: context.leases)
                let result = customized.result
                var detail = "\(result.steps.count) steps (\(result.accelerator))"
                if let resumed = result.resumedAfterStep { detail += ", resumed from the step-cache snapshot after step \(resumed)" }
                if let written = result.snapshotsWritten, !written.isEmpty { detail += ", snapshots after steps \(written.map(String.init).joined(separator: ","))" }
                return .ran(CustomizedDisk(form: .overlay(path: customized.overlay, workDirectory: work, entry: lock), inventory: customized.inventory), detail)
            } catch {
                FinalizeStage.removeWork(work)
                throw error
            }
        }
    }

    /// A foreign architecture: the recipe's steps in the base's root tree on the host (``Customizer/customizeTree``).
    private func customizeTree(
        _ base: ResolvedBase, customizer: Customizer, work: String, entry: FileLock, in context: StageContext
    ) async throws -> StageResult<CustomizedDisk> {
        let customized = try await customizer.customizeTree(
            recipe: context.recipe, baseArchive: base.path, baseIdentity: context.fingerprint.baseIdentity, workDirectory: work, leases: context.leases)
        let bootstrap = customized.bootstrap
        let grown = context.recipe.plan.compactMap { if case .growRoot(let size) = $0.step { return size } else { return nil } }
        let size = ([bootstrap.diskSizeGiB] + grown).max() ?? bootstrap.diskSizeGiB
        let detail = "\(customized.result.steps.count) steps in the \(context.architecture) root tree (qemu-user), base extracted in \(String(format: "%.1f", customized.result.launchSeconds)) s"
        return .ran(CustomizedDisk(
            form: .tree(root: customized.root, workDirectory: work, entry: entry, bootstrap: bootstrap, sizeGiB: size), inventory: customized.inventory), detail)
    }
}
