// Builds many images side by side (bounded by --jobs), then updates the catalog and its page once.
import Bases
import Catalog
import DiskImage
import Foundation
import Kube
import LabforgeRecipe
import Logging
import OCI
import Reporting

/// Runs `labforge build`: every recipe through ``ImageBuilder``, at most `jobs` at once, failures isolated.
public struct BuildRunner: Sendable {
    /// The run's options.
    public let options: BuildOptions
    private let reporter: any ProgressReporter
    private let logger: Logger
    private let store: BaseImageStore

    /// Creates a runner.
    /// - Parameters:
    ///   - options: Output, cache, push, jobs.
    ///   - reporter: Progress of every image (subject: the recipe name).
    ///   - logger: Notices (KVM→TCG fallback, retries).
    public init(options: BuildOptions, reporter: any ProgressReporter = SilentProgress(), logger: Logger = Logger(label: "labforge.build")) {
        self.options = options
        self.reporter = reporter
        self.logger = logger
        self.store = BaseImageStore(
            cache: CacheDirectory(root: options.cacheRoot), toolVersion: options.toolVersion,
            archivePolicy: ArchiveCheckPolicy(refresh: options.refreshArchives), logger: logger
        )
    }

    /// One image a run builds: a recipe for one target and architecture.
    struct Job: Sendable {
        var recipe: Recipe
        var target: BuildTarget
        var architecture: Architecture
        /// Whether the recipe is built for more than this architecture in this run (one index over them).
        var partOfIndex: Bool
    }

    /// Builds `recipes` and updates `<output>/catalog.json` and `<output>/index.html`.
    /// - Parameters:
    ///   - recipes: The recipes, in the order reported.
    ///   - targets: What to build of each (nil: each recipe's `targets`).
    ///   - architectures: The architectures to build each for (nil: each recipe's `architectures`); more than one gives
    ///     one image per architecture and one OCI index over them (``IndexStage``).
    /// - Returns: One summary per image, the indexes, the catalog paths, the failure count.
    /// - Throws: ``PipelineError/outputUnusable(path:reason:)`` when the output root cannot be created;
    ///   image failures are in the report, never thrown.
    public func run(_ recipes: [Recipe], targets: [BuildTarget]? = nil, architectures: [Architecture]? = nil) async throws -> BuildReport {
        let started = Date()
        func jobs(_ target: BuildTarget) -> [Job] {
            recipes.filter { (targets ?? $0.targets).contains(target) }.flatMap { recipe in
                let set = architectures ?? recipe.architectures
                return set.map { Job(recipe: recipe, target: target, architecture: $0, partOfIndex: set.count > 1) }
            }
        }
        let vmJobs = jobs(.vm), podJobs = jobs(.container)
        do {
            try FileManager.default.createDirectory(atPath: options.output, withIntermediateDirectories: true)
        } catch {
            throw PipelineError.outputUnusable(path: options.output, reason: "\(error)")
        }
        let cache = ImageCache(root: options.cacheRoot)
        var summaries = [BuildSummary?](repeating: nil, count: vmJobs.count)
        await withTaskGroup(of: (Int, BuildSummary).self) { group in
            var next = 0
            func startNext() {
                guard next < vmJobs.count else { return }
                let index = next
                let builder = builder(for: vmJobs[index], cache: cache)
                group.addTask { (index, await builder.build()) }
                next += 1
            }
            for _ in 0..<min(options.jobs, vmJobs.count) { startNext() }
            while let (index, summary) = await group.next() {
                summaries[index] = summary
                startNext()
            }
        }
        var images = summaries.compactMap { $0 }
        // Pod images after the VMs, one at a time: each is an mmdebstrap run that wants both cores.
        for job in podJobs {
            images.append(await builder(for: job, cache: cache).build())
        }
        let built = zip(vmJobs + podJobs, images).map { ($0, $1) }
        // Each recipe built for several architectures: one index over its images, tagged, signed.
        var indexes: [IndexSummary] = []
        for group in Self.indexGroups(built) {
            indexes.append(await IndexBuilder(options: options, store: store, cache: cache, reporter: reporter, logger: logger).build(group))
        }
        let catalogPath = options.output + "/catalog.json"
        let pagePath = options.output + "/index.html"
        let updated = try await updateCatalog(built, indexes: indexes, catalog: catalogPath, page: pagePath)
        return BuildReport(
            images: images, indexes: indexes.isEmpty ? nil : indexes, catalog: catalogPath, page: pagePath, catalogUpdated: updated,
            failed: images.filter { $0.status == .failed }.count + indexes.filter { $0.status == .failed }.count,
            seconds: (Date().timeIntervalSince(started) * 1000).rounded() / 1000
        )
    }

    private func builder(for job: Job, cache: ImageCache) -> ImageBuilder {
        ImageBuilder(
            recipe: job.recipe, target: job.target, architecture: job.architecture, partOfIndex: job.partOfIndex, options: options, store: store,
            cache: cache, reporter: reporter, logger: logger)
    }

    /// The images of each recipe and target built for several architectures, in architecture order.
    static func indexGroups(_ built: [(Job, BuildSummary)]) -> [[(Job, BuildSummary)]] {
        var groups: [[(Job, BuildSummary)]] = []
        for (job, summary) in built where job.partOfIndex {
            if let index = groups.firstIndex(where: { $0[0].0.recipe.name == job.recipe.name && $0[0].0.target == job.target }) {
                groups[index].append((job, summary))
            } else {
                groups.append([(job, summary)])
            }
        }
        let order = { (architecture: Architecture) in Architecture.allCases.firstIndex(of: architecture) ?? Architecture.allCases.count }
        return groups.map { $0.sorted { order($0.0.architecture) < order($1.0.architecture) } }
    }

    /// Upserts every successful image (VM and pod); rewrites the files only when the catalog changed.
    /// An image built for several architectures is one entry, the index's, described by its first architecture's image.
    private func updateCatalog(_ images: [(Job, BuildSummary)], indexes: [IndexSummary], catalog path: String, page: String) async throws -> Bool {
        let lock = try await FileLock.acquire(options.output + "/.catalog.lock")
        defer { lock.release() }
        let existing = FileManager.default.contents(atPath: path)
        var catalog = try ImageCatalog.load(from: path)
        var built: [CatalogEntry] = []
        var listed = Set<String>()
        for (job, summary) in images where summary.status != .failed {
            let index = job.partOfIndex ? indexes.first { $0.name == job.recipe.name && $0.kind == job.target } : nil
            if job.partOfIndex {
                // The index's entry, once; none when the index failed.
                guard let index, index.status != .failed, listed.insert("\(job.recipe.name) \(job.target)").inserted else { continue }
            }
            let recipe = (try? job.recipe.building(for: job.architecture)) ?? job.recipe
            do {
                // An index's other architectures: their verified firmware beside the first's.
                var others: [String: FirmwareBasis] = [:]
                for (other, image) in images where index != nil && other.partOfIndex && other.recipe.name == job.recipe.name
                    && other.target == job.target && other.architecture != job.architecture {
                    if let basis = image.firmware { others[other.architecture.rawValue] = basis }
                }
                let entry = try CatalogEntries.entry(for: summary, recipe: recipe, options: options, index: index, platformFirmware: others)
                catalog.upsert(entry)
                if entry.kind != .container { built.append(entry) }
            } catch {
                logger.warning("catalog: \(recipe.name) \(recipe.version)\(summary.kind == .container ? " (pod)" : "") left out: \(error)")
            }
        }
        // Changes once every built entry is in: two versions built in one run compare with each other.
        let root = URL(fileURLWithPath: path).deletingLastPathComponent().path
        for var entry in built {
            entry.changes = CatalogChanges.changes(of: entry, in: catalog, root: root)
            catalog.upsert(entry)
        }
        let encoded = try catalog.encoded()
        guard encoded != existing || !FileManager.default.fileExists(atPath: page) else { return false }
        try catalog.save(to: path)
        try CatalogPage.write(catalog, to: page)
        return true
    }
}
