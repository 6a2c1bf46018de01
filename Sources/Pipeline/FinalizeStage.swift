// The finalize stage: the customized overlay as the dense, zstd-compressed, checked qcow2 a containerDisk ships.
import Bases
import Customize
import DiskImage
import Foundation
import Reporting

/// Flattens the overlay into the image cache (zstd-compressed, `qemu-img check`ed, renamed into place) and turns the
/// fingerprint's entry shared; a disk another build finished is taken as it is.
struct FinalizeStage: Stage {
    static let kind = BuildStage.finalize

    func key(for disk: CustomizedDisk, in context: StageContext) throws -> String? { context.fingerprint.hex }

    func run(_ customized: CustomizedDisk, key: String?, in context: StageContext) async throws -> StageResult<FinalDisk> {
        let disk = context.cache.disk(context.fingerprint)
        switch customized.form {
        case .finished(let path):
            return .cached(FinalDisk(path: path), path)
        case .overlay(let overlay, let work, let entry):
            defer { Self.removeWork(work) }
            let finalized = try await DedicatedThread.run(name: "labforge.finalize.\(context.recipe.name)") {
                try Customizer.finalize(overlay: overlay, to: disk, compressed: true)
            }
            entry.downgrade()
            return .ran(FinalDisk(path: finalized.path), "zstd-compressed qcow2, checked: \(ByteCount.format(finalized.bytes))")
        case .tree(let root, let work, let entry, let bootstrap, let sizeGiB):
            defer { Self.removeWork(work) }
            let written = work + "/disk.qcow2"
            let log = context.log
            try await context.store.bootstrapper.writeDisk(rootTree: root, spec: bootstrap, sizeGiB: sizeGiB, output: written, log: { log.write($0) })
            // The tree is in the disk now: free its space before the compressed copy is written (what cannot go now goes
            // with the work directory, or is named by its removal).
            if let left = ScratchRemoval.remove(root) { context.log.line("root tree not removed before the copy: \(left)") }
            let finalized = try await DedicatedThread.run(name: "labforge.finalize.\(context.recipe.name)") {
                try Customizer.finalize(overlay: written, to: disk, compressed: true)
            }
            entry.downgrade()
            return .ran(
                FinalDisk(path: finalized.path),
                "\(context.architecture) disk written from the tree (\(sizeGiB) GiB, UEFI), zstd-compressed qcow2, checked: \(ByteCount.format(finalized.bytes))")
        }
    }

    /// Removes a customize work directory (the overlay) and forgets it for interrupts; one that cannot be removed
    /// stays registered, so an interrupt's cleanup names it.
    static func removeWork(_ work: String) {
        if ScratchRemoval.remove(work) == nil { Interruption.unregister(work) }
    }
}
