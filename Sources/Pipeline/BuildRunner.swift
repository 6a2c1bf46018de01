// Builds many images side by side (bounded by --jobs), then updates the catalog and its page once.
import Bases
import Catalog
import DiskImage
import Foundation
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

    /// Builds `recipes` and updates `<output>/catalog.json` and `<output>/index.html`.
    /// - Parameter recipes: The recipes, in the order reported.
    /// - Returns: One summary per recipe, the catalog paths, the failure count.
    /// - Throws: ``PipelineError/outputUnusable(path:reason:)`` when the output root cannot be created;
    ///   image failures are in the report, never thrown.
    public func run(_ recipes: [Recipe], targets: [BuildTarget]? = nil) async throws -> BuildReport {
        let started = Date()
        let containerRecipes = recipes.filter { (targets ?? $0.targets).contains(.container) }
        let recipes = recipes.filter { (targets ?? $0.targets).contains(.vm) }
        do {
            try FileManager.default.createDirectory(atPath: options.output, withIntermediateDirectories: true)
        } catch {
            throw PipelineError.outputUnusable(path: options.output, reason: "\(error)")
        }
        let cache = ImageCache(root: options.cacheRoot)
        var summaries = [BuildSummary?](repeating: nil, count: recipes.count)
        await withTaskGroup(of: (Int, BuildSummary).self) { group in
            var next = 0
            func startNext() {
                guard next < recipes.count else { return }
                let index = next
                let builder = ImageBuilder(recipe: recipes[index], options: options, store: store, cache: cache, reporter: reporter, logger: logger)
                group.addTask { (index, await builder.build()) }
                next += 1
            }
            for _ in 0..<min(options.jobs, recipes.count) { startNext() }
            while let (index, summary) = await group.next() {
                summaries[index] = summary
                startNext()
            }
        }
        var images = summaries.compactMap { $0 }
        // Pod images after the VMs, one at a time: each is an mmdebstrap run that wants both cores.
        for recipe in containerRecipes {
            images.append(await ImageBuilder(
                recipe: recipe, target: .container, options: options, store: store, cache: cache, reporter: reporter, logger: logger).build())
        }
        let catalogPath = options.output + "/catalog.json"
        let pagePath = options.output + "/index.html"
        let built = zip(recipes + containerRecipes, images).map { ($0, $1) }
        let updated = try await updateCatalog(built, catalog: catalogPath, page: pagePath)
        return BuildReport(
            images: images, catalog: catalogPath, page: pagePath, catalogUpdated: updated,
            failed: images.filter { $0.status == .failed }.count, seconds: (Date().timeIntervalSince(started) * 1000).rounded() / 1000
        )
    }

    /// Upserts every successful image (VM and pod); rewrites the files only when the catalog changed.
    private func updateCatalog(_ images: [(Recipe, BuildSummary)], catalog path: String, page: String) async throws -> Bool {
        let lock = try await FileLock.acquire(options.output + "/.catalog.lock")
        defer { lock.release() }
        let existing = FileManager.default.contents(atPath: path)
        var catalog = try ImageCatalog.load(from: path)
        var built: [CatalogEntry] = []
        for (recipe, summary) in images where summary.status != .failed {
            do {
                let entry = try CatalogEntries.entry(for: summary, recipe: recipe, options: options)
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
