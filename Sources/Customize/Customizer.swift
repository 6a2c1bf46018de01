// The customization engine: one appliance per image, the recipe's steps in order, sysprep, a flattened output.
import DiskImage
import EngineIdentity
import Foundation
import Guestfs
import LabforgeRecipe
import Logging
import Reporting
import SBOM

/// Turns a base disk and a recipe into a customized, standalone qcow2. The base is never modified:
/// the work happens on a qcow2 overlay, flattened into a temp file that is renamed into place at the end.
public struct Customizer: Sendable {
    /// Appliance memory in MiB (package managers want ≥ 1024).
    public var memoryMiB: Int32
    /// Appliance vCPUs.
    public var cpus: Int32
    /// Where pinned artifacts are cached.
    public var cache: ArtifactCache
    /// Receives step progress.
    public var reporter: any ProgressReporter
    /// Receives the build log: every guest command and its output, and the appliance's own output.
    public var log: @Sendable (String) -> Void
    /// One-line notices (KVM→TCG fallback).
    public var logger: Logger
    /// Step-level snapshots to resume from and to write (nil: none).
    public var stepCache: StepCache?
    /// Write the output as a zstd-compressed qcow2 (the finalized form a containerDisk ships).
    public var compressedOutput = false
    /// Install steps already done on the host, in the base (``HostPackagePlan``): skipped here, and the log says so.
    public var hostInstalledSteps: Set<Int> = []
    /// Read the guest's software inventory once every step is done, in the same appliance before it closes (no second
    /// appliance launch for the SBOM); nil: not read. The result carries it (or why it could not be read).
    public var inventory: InventoryRequest? = nil

    /// Creates an engine.
    /// - Parameters:
    ///   - memoryMiB: Appliance memory.
    ///   - cpus: Appliance vCPUs.
    ///   - cache: Artifact cache.
    ///   - reporter: Progress receiver.
    ///   - logger: Notices.
    ///   - log: Build log sink.
    public init(
        memoryMiB: Int32 = 2048, cpus: Int32 = 2, cache: ArtifactCache = ArtifactCache(),
        reporter: any ProgressReporter = SilentProgress(), logger: Logger = Logger(label: "labforge.customize"),
        log: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.memoryMiB = memoryMiB
        self.cpus = cpus
        self.cache = cache
        self.reporter = reporter
        self.logger = logger
        self.log = log
    }

    /// Customizes `base` with `recipe` into `output`: ``customizeOverlay(recipe:base:baseIdentity:workDirectory:leases:)``
    /// into a private directory beside `output`, then ``finalize(overlay:to:compressed:)`` (zstd when ``compressedOutput``).
    /// - Parameters:
    ///   - recipe: The recipe (validated first, before any disk is touched).
    ///   - base: The base disk (qcow2 or raw); never modified.
    ///   - baseIdentity: What identifies the base's contents (checksum, bootstrap key) for the step cache;
    ///     nil: its path, size and modification time.
    ///   - output: Where the standalone qcow2 goes; replaced only when everything succeeded.
    /// - Returns: Timings and sizes.
    /// - Throws: ``CustomizeError``; on failure no output file is written.
    public func customize(recipe: Recipe, base: String, baseIdentity: String? = nil, output: String) async throws -> CustomizationResult {
        // Before any disk or directory is touched.
        do { try recipe.validate() } catch let error as RecipeError { throw CustomizeError.invalidRecipe(error) }
        let outputURL = URL(fileURLWithPath: output).standardizedFileURL
        let outputDirectory = outputURL.deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: outputDirectory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw CustomizeError.outputDirectoryMissing(outputURL.path)
        }
        // Scratch next to the output: same filesystem, so the final rename is atomic. The overlay holds the whole guest
        // while it is built: owner only. An interrupt kills the appliance (the call in flight fails and this unwinds);
        // registered in case it cannot.
        let scratch = outputDirectory + "/.\(outputURL.lastPathComponent).labforge-\(UUID().uuidString.prefix(8))"
        try FileAccess.makePrivateDirectory(scratch)
        Interruption.register(scratch)
        defer {
            try? FileManager.default.removeItem(atPath: scratch)
            Interruption.unregister(scratch)
        }
        let leases = CacheLeases()
        defer { leases.releaseAll() }
        let customized = try await customizeOverlay(recipe: recipe, base: base, baseIdentity: baseIdentity, workDirectory: scratch, leases: leases)
        let compressed = compressedOutput
        let finalized = try await DedicatedThread.run(name: "labforge.finalize.\(recipe.name)") {
            try Self.finalize(overlay: customized.overlay, to: outputURL.path, compressed: compressed)
        }
        var result = customized.result
        result.output = finalized.path
        result.outputBytes = finalized.bytes
        result.finalizeSeconds = finalized.seconds
        result.totalSeconds += finalized.seconds
        return result
    }

    /// Customizes `base` with `recipe` into a qcow2 overlay in `workDirectory`, backed by the base or by the step-cache
    /// snapshot it resumed from: the work before ``finalize(overlay:to:compressed:)``.
    /// - Parameters:
    ///   - recipe: The recipe.
    ///   - base: The base disk (qcow2 or raw); never modified.
    ///   - baseIdentity: What identifies the base's contents for the step cache; nil: its path, size and modification time.
    ///   - workDirectory: A private directory the caller made and removes (same filesystem as the final disk).
    ///   - leases: Where the cache entries the overlay reads stay leased (the snapshot chain it is backed by, the
    ///     artifacts): the caller releases them once the overlay is finalized.
    /// - Returns: The overlay, timings, and the inventory when ``inventory`` asked for it.
    /// - Throws: ``CustomizeError``.
    public func customizeOverlay(
        recipe: Recipe, base: String, baseIdentity: String? = nil, workDirectory: String, leases: CacheLeases
    ) async throws -> CustomizedOverlay {
        let started = Date()
        do { try recipe.validate() } catch let error as RecipeError { throw CustomizeError.invalidRecipe(error) }
        let basePath = URL(fileURLWithPath: base).standardizedFileURL.path
        guard FileManager.default.isReadableFile(atPath: basePath) else { throw CustomizeError.baseNotFound(basePath) }
        // `labforge customize --base` takes any file: refuse one that would pull another host file into the image.
        do {
            _ = try await DedicatedThread.run(name: "labforge.customize.check") { try QemuImg.checkSelfContainedBase(basePath) }
        } catch let error as DiskImageError { throw CustomizeError.diskImage(error) }
        let baseIdentity = baseIdentity ?? Self.fileIdentity(basePath)
        // Everything this build reads from the cache (artifacts, the snapshot chain it resumes from) stays leased
        // until the caller is done, so `labforge cache prune` cannot take it away meanwhile.
        let artifacts = try await fetchArtifacts(recipe.plan, leases: leases)
        // The step cache: resume from the snapshot after the latest unchanged expensive step.
        let cachePlan = try stepCache.map { _ in try StepCachePlan(plan: recipe.plan, baseIdentity: baseIdentity) }
        var resume: (step: Int, snapshot: String)?
        if let stepCache, let cachePlan {
            do {
                resume = try await stepCache.latestUsable(cachePlan.keys, leases: leases)
            } catch let error as DiskImageError {
                throw CustomizeError.diskImage(error)
            }
        }
        // libguestfs calls and qemu-img waits block: keep them off the cooperative pool.
        return try await DedicatedThread.run(name: "labforge.customize.\(recipe.name)") { [resume] in
            try build(
                recipe: recipe, basePath: basePath, baseIdentity: baseIdentity, workDirectory: workDirectory,
                artifacts: artifacts, cachePlan: cachePlan, resume: resume, started: started
            )
        }
    }

    private func build(
        recipe: Recipe, basePath: String, baseIdentity: String, workDirectory: String, artifacts: [PinnedArtifact: String],
        cachePlan: StepCachePlan?, resume: (step: Int, snapshot: String)?, started: Date
    ) throws -> CustomizedOverlay {
        let plan = recipe.plan
        let fingerprint = try recipe.fingerprint
        log("labforge customize \(recipe.name) \(recipe.version) (fingerprint \(fingerprint), engine \(EngineIdentity.summary))\nbase: \(basePath) (\(baseIdentity))\n")
        let overlay = workDirectory + "/overlay.qcow2"
        let start = resume?.snapshot ?? basePath
        let startInfo = try disk { try QemuImg.info(start) }
        try disk { try QemuImg.create(overlay, backingFile: start, backingFormat: startInfo.format) }
        for case .growRoot(let size) in plan.map(\.step) where Int64(size) << 30 > startInfo.virtualSize {
            try disk { try QemuImg.resize(overlay, to: Int64(size) << 30) }
        }
        if let resume {
            log("step cache: resuming after step \(resume.step)/\(plan.count) from \(resume.snapshot)\n")
        }

        let needsNetwork = plan.contains { $0.number > (resume?.step ?? 0) && $0.step.needsNetwork }
        let appliance = try Appliance(
            settings: ApplianceSettings(memoryMiB: memoryMiB, cpus: cpus, network: needsNetwork), logger: logger,
            applianceOutput: log
        )
        let launchStarted = Date()
        let build: GuestBuild
        let system: InspectedOperatingSystem
        do {
            try appliance.add(Drive(path: overlay, format: .qcow2, readOnly: false))
            try appliance.launch()
            system = try appliance.inspectOperatingSystem(diskName: basePath)
            let manager = try PackageManager(inspected: system.packageManagement, distro: system.distro)
            // Batches are formed among the steps that run here: a host-installed step leads no batch.
            build = GuestBuild(
                workspace: .appliance(appliance, system), manager: manager, artifacts: artifacts,
                plan: plan.filter { !hostInstalledSteps.contains($0.number) }, log: log
            )
        } catch let error as GuestfsError {
            throw CustomizeError.appliance(error.description)
        }
        let launchSeconds = Date().timeIntervalSince(launchStarted)
        log("appliance up in \(String(format: "%.1f", launchSeconds)) s (\(appliance.accelerator.rawValue)); \(system.productName), package manager \(build.manager.rawValue)\n")

        var snapshots: [Int] = []
        let timings = try run(plan: plan, recipe: recipe, build: build, resumeAfter: resume?.step ?? 0) { number in
            guard let stepCache, let key = cachePlan?.keys[number], !stepCache.exists(key) else { return }
            let copyStarted = Date()
            do {
                try appliance.sync()
                guard let path = try stepCache.store(overlay: overlay, key: key) else {
                    log("step cache: no snapshot after step \(number): another labforge process holds \(stepCache.locks.path(key))\n")
                    return
                }
                snapshots.append(number)
                log("step cache: snapshot after step \(number) → \(path) (\(String(format: "%.1f", Date().timeIntervalSince(copyStarted))) s)\n")
            } catch {
                log("step cache: no snapshot after step \(number): \(error)\n")
            }
        }
        let inventory = inventory.map { readInventory($0, in: appliance, system: system, disk: basePath) }
        do {
            try build.finish()
            try appliance.shutdown()
        } catch let error as GuestfsError {
            throw CustomizeError.appliance(error.description)
        }
        let result = CustomizationResult(
            recipe: recipe.name, version: recipe.version, fingerprint: fingerprint, base: basePath,
            output: overlay, outputBytes: Self.allocatedBytes(overlay),
            accelerator: appliance.accelerator.rawValue, packageManager: build.manager.rawValue,
            launchSeconds: launchSeconds, steps: timings, totalSeconds: Date().timeIntervalSince(started),
            resumedAfterStep: resume?.step, snapshotsWritten: snapshots, finalizeSeconds: nil
        )
        reporter.report(ProgressEvent(
            subject: recipe.name, stage: "customize", detail: "done in \(String(format: "%.1f", result.totalSeconds)) s",
            completed: Int64(plan.count), total: Int64(plan.count), unit: .steps, finished: true
        ))
        return CustomizedOverlay(overlay: overlay, result: result, inventory: inventory)
    }

    /// Writes `overlay` as a standalone qcow2 at `output` (no backing file, unallocated and zero clusters left out);
    /// compressed: every cluster zstd-compressed, the dense pull-friendly form a containerDisk ships, then
    /// `qemu-img check`ed. Written beside the overlay and renamed into place: `output` is replaced whole or not at all.
    /// - Parameters:
    ///   - overlay: The customized overlay (its backing chain readable).
    ///   - output: The final disk, on the overlay's filesystem.
    ///   - compressed: zstd-compress every cluster.
    /// - Returns: The disk, its allocated bytes and the seconds it took.
    /// - Throws: ``CustomizeError/diskImage(_:)``, ``CustomizeError/outputDirectoryMissing(_:)`` when the rename fails.
    public static func finalize(overlay: String, to output: String, compressed: Bool) throws -> FinalizedDisk {
        let started = Date()
        let flattened = (overlay as NSString).deletingLastPathComponent + "/output.qcow2"
        defer { try? FileManager.default.removeItem(atPath: flattened) }
        do {
            try QemuImg.convert(overlay, sourceFormat: "qcow2", to: flattened, compressed: compressed, options: compressed ? ["compression_type=zstd"] : [])
            if compressed { try QemuImg.check(flattened) }
            try FileAccess.setMode(flattened, FileAccess.diskFileMode)
        } catch let error as DiskImageError {
            throw CustomizeError.diskImage(error)
        }
        guard rename(flattened, output) == 0 else {  // atomic, replaces an older output
            throw CustomizeError.outputDirectoryMissing("\(output) (rename failed: \(String(cString: strerror(errno))))")
        }
        return FinalizedDisk(path: output, bytes: allocatedBytes(output), seconds: Date().timeIntervalSince(started))
    }

    /// The inventory read in the open appliance; a failure is carried, not thrown: the SBOM stage then reads the
    /// finished disk and reports the error where it belongs.
    private func readInventory(_ request: InventoryRequest, in appliance: Appliance, system: InspectedOperatingSystem, disk: String) -> InventoryRead {
        let started = Date()
        var phases: [String] = []
        do {
            let inventory = try DiskInventoryReader.inventory(
                in: appliance, system: system, disk: disk, subject: request.subject, filePaths: request.filePaths,
                artifacts: request.artifacts, base: request.base
            ) { name, seconds in phases.append("\(name) \(String(format: "%.2f", seconds)) s") }
            return InventoryRead(inventory: inventory, seconds: Date().timeIntervalSince(started), note: phases.joined(separator: ", "))
        } catch {
            return InventoryRead(inventory: nil, seconds: Date().timeIntervalSince(started), note: "\(error)")
        }
    }

    /// Runs qemu-img work, its errors as ``CustomizeError/diskImage(_:)``.
    private func disk<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as DiskImageError { throw CustomizeError.diskImage(error) }
    }

    /// A base's identity when the caller has none: path, size and modification time (hashing a
    /// multi-GiB disk on every build would cost more than it saves; touch the file to force a rebuild).
    /// - Parameter path: The base disk.
    /// - Returns: `file:<absolute path>:<size>:<mtime>`.
    public static func fileIdentity(_ path: String) -> String {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        var info = stat()
        guard stat(absolute, &info) == 0 else { return "file:\(absolute):missing" }
        return "file:\(absolute):\(info.st_size):\(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)"
    }

    func run(
        plan: [PlannedStep], recipe: Recipe, build: GuestBuild, resumeAfter: Int, afterStep: (Int) -> Void
    ) throws -> [CustomizationResult.StepTiming] {
        var timings: [CustomizationResult.StepTiming] = []
        try build.prepare(resuming: resumeAfter > 0)
        if resumeAfter > 0 {
            build.firstBootScripts = plan.prefix(resumeAfter).filter { if case .firstBoot = $0.step { return true } else { return false } }.count
        }
        for planned in plan where planned.number > resumeAfter {
            let title = planned.step.title
            let header = "[\(planned.number)/\(plan.count)] \(title)"
            reporter.report(ProgressEvent(
                subject: recipe.name, stage: "customize", detail: header, completed: Int64(planned.number - 1),
                total: Int64(plan.count), unit: .steps
            ))
            if hostInstalledSteps.contains(planned.number) {
                log("\n==> \(header) (\(planned.origin)): ran on the host, in the base (mmdebstrap --include)\n")
                timings.append(.init(number: planned.number, title: title + " (on the host)", origin: planned.origin.description, seconds: 0))
                continue
            }
            log("\n==> \(header) (\(planned.origin))\n")
            let stepStarted = Date()
            do {
                try build.execute(planned)
            } catch {
                let failure: StepFailure
                switch error {
                case CustomizeError.commandFailed(let command, let status, let tail):
                    failure = StepFailure(command: command, status: status, outputTail: tail, message: "`\(command)` exited with status \(status)")
                case let error as GuestfsError:
                    failure = StepFailure(command: nil, status: nil, outputTail: "", message: error.description)
                default:
                    failure = StepFailure(command: nil, status: nil, outputTail: "", message: "\(error)")
                }
                log("!! step \(planned.number) failed: \(failure.message)\n")
                throw CustomizeError.stepFailed(number: planned.number, total: plan.count, title: title, failure: failure)
            }
            let seconds = Date().timeIntervalSince(stepStarted)
            log("<== [\(planned.number)/\(plan.count)] done in \(String(format: "%.1f", seconds)) s\n")
            timings.append(.init(number: planned.number, title: title, origin: planned.origin.description, seconds: seconds))
            afterStep(planned.number)
        }
        return timings
    }

    func fetchArtifacts(_ plan: [PlannedStep], leases: CacheLeases) async throws -> [PinnedArtifact: String] {
        var paths: [PinnedArtifact: String] = [:]
        for case .install(let requests) in plan.map(\.step) {
            for request in requests {
                switch request.source {
                case .repositories: continue
                case .artifact(let artifact), .repositoriesElse(let artifact):
                    if paths[artifact] == nil { paths[artifact] = try await cache.fetch(artifact, leases: leases) }
                }
            }
        }
        return paths
    }

    static func allocatedBytes(_ path: String) -> Int64 {
        var info = stat()
        guard stat(path, &info) == 0 else { return 0 }
        return Int64(info.st_blocks) * 512
    }
}

extension Step {
    /// Whether the step needs the appliance's network (package downloads).
    var needsNetwork: Bool {
        switch self {
        case .install, .remove, .upgrade, .extractPackageFiles, .locale, .run, .createUser: return true
        default: return false
        }
    }
}
