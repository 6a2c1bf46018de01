// Step-level build cache: a qcow2 snapshot of the disk after each expensive step (package installs,
// scripts), keyed by the base and the steps applied so far, so an edit to a later step resumes from the
// last unchanged snapshot instead of installing every package again — Docker's layer cache, for VM disks.
import AtomicFile
import Crypto
import DiskImage
import EngineIdentity
import Foundation
import LabforgeRecipe
import Reporting

/// A directory of disk snapshots taken during builds: `<key>.qcow2`, each a qcow2 overlay whose backing
/// chain runs through the snapshot it was resumed from (if any) to the cached base image. Every file of the chain
/// is an entry of the cache under its own lock (``CacheLocks``): a build resuming from a snapshot leases the whole
/// chain, and `labforge cache prune` keeps whatever a kept snapshot backs on.
public struct StepCache: Sendable {
    /// The snapshot directory.
    public let directory: String
    /// The cache's locks (a snapshot's key is its lock's key).
    public let locks: CacheLocks

    /// Uses `directory` (created on first use).
    /// - Parameters:
    ///   - directory: e.g. `<cache>/snapshots`.
    ///   - locks: The cache's locks; by default those of the cache root `directory` is in.
    public init(directory: String, locks: CacheLocks? = nil) {
        self.directory = directory
        self.locks = locks ?? CacheLocks(root: URL(fileURLWithPath: directory).deletingLastPathComponent().path)
    }

    func path(for key: String) -> String { "\(directory)/\(key).qcow2" }

    /// Whether a finished snapshot for `key` is there (it may still be unusable; see ``lease(_:into:)``).
    func exists(_ key: String) -> Bool { FileManager.default.fileExists(atPath: path(for: key)) }

    /// The latest usable snapshot among `keys` (step number → key), its whole chain leased into `leases`.
    /// - Parameters:
    ///   - keys: Snapshot points of the plan.
    ///   - leases: Receives the chain's shared locks.
    /// - Returns: The step after which the snapshot was taken, and its path; nil when none is usable.
    func latestUsable(_ keys: [Int: String], leases: CacheLeases) async throws -> (step: Int, snapshot: String)? {
        for (step, key) in keys.sorted(by: { $0.key > $1.key }) {
            if let snapshot = try await lease(key, into: leases) { return (step, snapshot) }
        }
        return nil
    }

    /// Leases the snapshot for `key` and every snapshot of its backing chain (shared, in chain order), when all of
    /// them are there and open, and marks them used now (so age-based pruning keeps the chain together).
    /// - Parameters:
    ///   - key: The snapshot's key.
    ///   - leases: Receives the locks when the snapshot is usable.
    /// - Returns: Its path, or nil (nothing leased) when it or a file it backs on is missing or broken.
    func lease(_ key: String, into leases: CacheLeases) async throws -> String? {
        let path = path(for: key)
        let held = CacheLeases()
        held.keep(try await locks.use(key))
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        var checked: Set<String> = [path]
        // Lock each snapshot the chain names, then read the chain again: it must not change while we lock it.
        while true {
            guard let chain = try? await DedicatedThread.run(name: "labforge.step-cache", { try QemuImg.backingChain(path) }) else { return nil }
            let snapshots = chain.filter { $0.hasPrefix(directory + "/") }
            let unchecked = snapshots.filter { !checked.contains($0) }
            if unchecked.isEmpty {
                for file in snapshots { _ = utimes(file, nil) }  // recently used: `labforge cache prune` keeps it
                leases.keep(held)
                return path
            }
            for file in unchecked {
                held.keep(try await locks.use(CacheLocks.key(ofEntry: URL(fileURLWithPath: file).lastPathComponent)))
                guard FileManager.default.fileExists(atPath: file) else { return nil }
                checked.insert(file)
            }
        }
    }

    /// Copies the running build's overlay (quiesced by the caller: filesystems synced) into the cache,
    /// checked with `qemu-img check`, under a temp name renamed into place, holding the key exclusive. The
    /// directory is 0700, the snapshot 0640 (``FileAccess``).
    /// - Returns: The snapshot's path, or nil when another process holds the key (it is writing or pruning it).
    func store(overlay: String, key: String) throws -> String? {
        try FileAccess.makePrivateDirectory(directory)
        guard let lock = try locks.ownIfFree(key) else { return nil }
        defer { lock.release() }
        let final = path(for: key)
        // Replaces a broken older snapshot. No fsync: a snapshot lost in a crash is made again, and flushing GiBs
        // would hold up the build each time.
        try AtomicFile.replace(final, mode: FileAccess.diskFileMode, sync: false) { partial in
            try FileManager.default.copyItem(atPath: overlay, toPath: partial)
            try QemuImg.check(partial)
        }
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
    ///   - engine: The customization engine's identity (``EngineIdentity/customization``): a changed engine never
    ///     resumes from a snapshot an older one made.
    /// - Throws: ``CustomizeError/cacheKeyUnencodable(subject:reason:)``, ``CustomizeError/uploadUnreadable(path:reason:)``.
    init(plan: [PlannedStep], baseIdentity: String, engine: String = EngineIdentity.customization) throws {
        let batchedInto = Self.batches(plan)
        self.batchedInto = batchedInto
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        func encoded(_ step: Step) throws -> Data {
            var data: Data
            do {
                data = try encoder.encode(step)
            } catch {
                throw CustomizeError.cacheKeyUnencodable(subject: "step \(step.title)", reason: "\(error)")
            }
            if case .upload(let source, _, _) = step { data += Data(try UploadDigest.of(source).utf8) }
            return data + Data([0x0A])
        }
        // growRoot is applied before the first step wherever it stands: every state includes it.
        var prefix = SHA256()
        prefix.update(data: Data("labforge step cache 2\nengine \(engine)\nbase \(baseIdentity)\n".utf8))
        for case .growRoot(let size) in plan.map(\.step) { prefix.update(data: Data("grow \(size)\n".utf8)) }
        var keys: [Int: String] = [:]
        for (index, planned) in plan.enumerated() {
            prefix.update(data: try encoded(planned.step))
            guard Self.isSnapshotPoint(index, in: plan, batchedInto: batchedInto) else { continue }
            var state = prefix
            for later in plan[(index + 1)...] where (batchedInto[later.number] ?? .max) <= planned.number {
                state.update(data: Data("batched ".utf8) + (try encoded(later.step)))
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
