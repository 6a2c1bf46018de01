// Step-level build cache: a qcow2 snapshot of the disk after each expensive step (package installs,
// scripts), keyed by the base and the steps applied so far, so an edit to a later step resumes from the
// last unchanged snapshot instead of installing every package again — Docker's layer cache, for VM disks.
import Crypto
import DiskImage
import Foundation
import LabforgeRecipe

/// A directory of disk snapshots taken during builds: `<key>.qcow2`, each a qcow2 overlay whose backing
/// chain ends in the cached base image (so pruning a base invalidates the snapshots on it, which are then
/// ignored).
public struct StepCache: Sendable {
    /// The snapshot directory.
    public let directory: String

    /// Uses `directory` (created on first use).
    /// - Parameter directory: e.g. `<cache>/snapshots`.
    public init(directory: String) {
        self.directory = directory
    }

    func path(for key: String) -> String { "\(directory)/\(key).qcow2" }

    /// The snapshot for `key` when it exists and its whole backing chain opens.
    func usableSnapshot(_ key: String) -> String? {
        let path = path(for: key)
        guard FileManager.default.fileExists(atPath: path), (try? QemuImg.openBackingChain(path)) != nil else { return nil }
        _ = utimes(path, nil)  // recently used: `labforge cache prune` keeps it
        return path
    }

    /// Copies the running build's overlay (quiesced by the caller: filesystems synced) into the cache,
    /// checked with `qemu-img check`, under a temp name renamed into place. The directory is 0700, the snapshot
    /// 0640 (``FileAccess``).
    func store(overlay: String, key: String) throws -> String {
        try FileAccess.makePrivateDirectory(directory)
        let final = path(for: key)
        let partial = final + ".partial-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: partial) }
        try FileManager.default.copyItem(atPath: overlay, toPath: partial)
        try FileAccess.setMode(partial, FileAccess.diskFileMode)
        try QemuImg.check(partial)
        if FileManager.default.fileExists(atPath: final) { try FileManager.default.removeItem(atPath: final) }
        try FileManager.default.moveItem(atPath: partial, toPath: final)
        return final
    }
}

/// Where a build snapshots and how it resumes, from the plan alone (before any disk is touched).
struct StepCachePlan {
    /// Install steps whose packages an earlier install step installs in one batch → that step.
    let batchedInto: [Int: Int]
    /// Snapshot points (step numbers) → key of the disk state right after them.
    let keys: [Int: String]

    /// Computes batches and keys.
    /// - Parameters:
    ///   - plan: The resolved plan.
    ///   - baseIdentity: The base image's identity (its checksum or bootstrap key).
    init(plan: [PlannedStep], baseIdentity: String) {
        let batchedInto = Self.batches(plan)
        self.batchedInto = batchedInto
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        func encoded(_ step: Step) -> Data {
            var data = (try? encoder.encode(step)) ?? Data(step.title.utf8)
            if case .upload(let source, _, _) = step { data += Data(UploadDigest.of(source).utf8) }
            return data + Data([0x0A])
        }
        // growRoot is applied before the first step wherever it stands: every state includes it.
        var prefix = SHA256()
        prefix.update(data: Data("labforge step cache 1\nbase \(baseIdentity)\n".utf8))
        for case .growRoot(let size) in plan.map(\.step) { prefix.update(data: Data("grow \(size)\n".utf8)) }
        var keys: [Int: String] = [:]
        for (index, planned) in plan.enumerated() {
            prefix.update(data: encoded(planned.step))
            guard Self.isSnapshotPoint(index, in: plan, batchedInto: batchedInto) else { continue }
            var state = prefix
            for later in plan[(index + 1)...] where (batchedInto[later.number] ?? .max) <= planned.number {
                state.update(data: Data("batched ".utf8) + encoded(later.step))
            }
            keys[planned.number] = state.finalize().map { String(format: "%02x", $0) }.joined()
        }
        self.keys = keys
    }

    /// Install steps merged into an earlier install: each install gathers the installs after it up to the
    /// next step that could change what they mean (``Step/endsPackageBatch``).
    static func batches(_ plan: [PlannedStep]) -> [Int: Int] {
        var batchedInto: [Int: Int] = [:]
        for planned in plan where batchedInto[planned.number] == nil {
            guard case .install = planned.step else { continue }
            for later in plan where later.number > planned.number {
                if case .install = later.step {
                    batchedInto[later.number] = planned.number
                } else if later.step.endsPackageBatch {
                    break
                }
            }
        }
        return batchedInto
    }

    /// A snapshot is worth its copy after a step that costs minutes under TCG (a package-manager run, a
    /// script) when the next step is a cheap one (or a batched no-op): the end of a run of expensive steps.
    static func isSnapshotPoint(_ index: Int, in plan: [PlannedStep], batchedInto: [Int: Int]) -> Bool {
        func expensive(_ planned: PlannedStep) -> Bool {
            switch planned.step {
            case .install: return batchedInto[planned.number] == nil
            case .remove, .upgrade, .extractPackageFiles, .run, .locale: return true
            default: return false
            }
        }
        guard expensive(plan[index]), index + 1 < plan.count else { return false }
        return !expensive(plan[index + 1])
    }
}
