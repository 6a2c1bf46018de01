// `labforge build [SOURCE] [RECIPE...]`: every stage of every recipe, incremental and parallel, with a catalog at the end.
import ArgumentParser
import Bases
import Foundation
import LabforgeRecipe
import Logging
import OCI
import Pipeline
import RecipeRepository
import Reporting
import Signing
import Verify

struct BuildCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Build lab images end to end: base → customize → finalize → verify → package → push → manifests → catalog.",
        discussion: """
            SOURCE is a recipes folder (every .swift file below it), one .swift file, or a repository root holding \
            labforge.swift; without one, ./labforge.swift, ./recipes/ or the shipped recipes. The files are compiled \
            against the installed LabforgeRecipe module once per content (cached). Without names, every recipe of the \
            source is built. Each image goes to <output>/<name>/<version>/ (disk.qcow2, \
            oci/, manifests/, build.log, console.log, verification.json, summary.json); the catalog and its page are \
            <output>/catalog.json and <output>/index.html. Every stage is skipped when its inputs (recipe steps and \
            metadata, uploaded files, base image, labforge version) did not change: a second run of an unchanged \
            recipe does nothing. Package installs are step-cached: editing a later step resumes from a disk snapshot. \
            One failing image does not stop the others; the exit status is 1 when any failed.
            """
    )

    @Argument(help: "A recipe source (folder or .swift file) and/or recipe names (default: every recipe; see `labforge list`).")
    var recipes: [String] = []

    @OptionGroup var source: RecipeSourceOptions

    @Option(help: "Output root.")
    var output: String = "images"

    @Option(help: "Push to REGISTRY/PREFIX (e.g. ghcr.io/acme/labs); tags <version>, <version>-<YYYYMMDDhhmm>, latest when the recipe says so.")
    var push: String?

    @Option(help: "Where manifests and the catalog say images live when not pushing (REGISTRY/PREFIX).")
    var referencePrefix: String = "localhost:5000/labs"

    @Option(help: "Images built at once (default: one per 2 cores and 4 GiB of memory).")
    var jobs: Int?

    @Option(name: .customLong("target"), help: ArgumentHelp(
        "What to build (repeatable): vm (containerDisk), container (pod lab image); default: what each recipe's `targets:` says.",
        valueName: "vm|container"))
    var targets: [BuildTarget] = []

    @Option(name: .customLong("arch"), help: ArgumentHelp(
        "Architectures to build (repeatable): amd64, arm64 (under qemu-user, booted under AAVMF); more than one pushes one OCI index over them. Default: each recipe's `architectures:` (amd64).",
        valueName: "amd64|arm64"))
    var architectures: [Architecture] = []

    @Flag(help: "Do not boot and probe the images.")
    var noVerify = false

    @Flag(help: "Rebuild every stage (downloaded and bootstrapped bases stay cached).")
    var force = false

    @Flag(help: "Ask the Debian mirror now whether its archives changed (otherwise at most every 6 hours); a change rebuilds bootstrapped bases.")
    var refresh = false

    @Option(help: "containerDisk layer compression: none (the qcow2 is zstd-compressed inside), gzip or zstd.")
    var layerCompression: LayerCompression = .none

    @Option(help: "Registry credentials file (default: the docker/podman locations).")
    var authfile: String?

    @Option(help: "Seconds a verification boot may take.")
    var verifyTimeout: Double = 600

    @Option(help: "Sign each pushed manifest in cosign's format with this EC P-256 PEM key, a file of yours with mode 600 (else $LABFORGE_SIGN_KEY, if set).")
    var signKey: String?

    @OptionGroup var cacheOptions: CacheOptions

    @OptionGroup var accelerator: AcceleratorOptions

    func validate() throws {
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1") }
        if let push { do { _ = try PushTarget(parsing: push) } catch { throw ValidationError("\(error)") } }
        do { _ = try PushTarget(parsing: referencePrefix) } catch { throw ValidationError("--reference-prefix: \(error)") }
        guard verifyTimeout > 0 else { throw ValidationError("--verify-timeout must be positive") }
    }

    func run() async throws {
        accelerator.apply()
        // Before any recipe is compiled or run: a key file others can read is refused before work is spent.
        let signingKey = try SigningKey.load(path: signKey)
        let cacheRoot = cacheOptions.cache.root
        let arguments = RecipeSourceOptions.split(recipes)
        let selected = try await source.load(paths: arguments.paths, cacheRoot: cacheRoot).select(arguments.names)
        var options = BuildOptions(
            output: output, cacheRoot: cacheRoot, push: try push.map(PushTarget.init(parsing:)),
            referencePrefix: try PushTarget(parsing: referencePrefix), jobs: jobs, verify: !noVerify, force: force,
            layerCompression: layerCompression, verifyTimeout: verifyTimeout, authFile: authfile, toolVersion: LabforgeVersion.current
        )
        options.signingKey = signingKey
        options.refreshArchives = refresh
        options.recipeSources = Dictionary(selected.map { ($0.recipe.name, $0.origin.catalogSource) }, uniquingKeysWith: { first, _ in first })
        let report = try await BuildRunner(options: options, reporter: cacheOptions.progress).run(
            selected.map(\.recipe), targets: targets.isEmpty ? nil : targets, architectures: architectures.isEmpty ? nil : Self.unique(architectures))
        if cacheOptions.json {
            try printJSON(report)
        } else {
            print(report.table)
            for image in report.images where image.status == .failed {
                let name = image.name + (image.architecture.map { $0 == .amd64 ? "" : "/\($0)" } ?? "") + (image.kind == .container ? " (pod)" : "")
                print("\(name): \(image.log.isEmpty ? image.error?.message ?? "" : "see \(image.log)")")
            }
            print("catalog: \(report.catalog), page \(report.page)\(report.catalogUpdated ? "" : " (unchanged)"); \(String(format: "%.1f", report.seconds)) s")
        }
        if report.failed > 0 { throw ExitCode(1) }
    }
}

extension BuildCommand {
    /// Each architecture once, in the order given.
    static func unique(_ architectures: [Architecture]) -> [Architecture] {
        architectures.reduce(into: []) { if !$0.contains($1) { $0.append($1) } }
    }
}

extension BuildTarget: ExpressibleByArgument {}
extension Architecture: ExpressibleByArgument {}
