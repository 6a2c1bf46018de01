// Builds one recipe as a pod lab: root tree on the host (mmdebstrap + the recipe's steps) → OCI image → verify → push → manifests.
import Bases
import Catalog
import Crypto
import Customize
import EngineIdentity
import Foundation
import Kube
import LabforgeRecipe
import Logging
import OCI
import Registry
import Reporting
import Verify

/// What a container build produced, written as `container/summary.json`.
public struct ContainerBuildSummary: Sendable, Codable, Equatable {
    /// Recipe name.
    public var name: String
    /// Recipe version.
    public var version: String
    /// Always `container`.
    public var kind: String
    /// Built, unchanged or failed.
    public var status: BuildSummary.Status
    /// What the image was built from (recipe, archives, labforge version), hex sha256.
    public var fingerprint: String
    /// The output directory.
    public var directory: String
    /// The OCI layout.
    public var layout: String?
    /// Manifest digest.
    public var manifestDigest: String?
    /// Compressed layer bytes.
    public var imageBytes: Int64?
    /// Uncompressed layer bytes.
    public var uncompressedBytes: Int64?
    /// Pushed reference.
    public var pushed: BuildSummary.Pushed?
    /// `registry/repository:version@digest` the manifests use.
    public var reference: String?
    /// Manifests directory.
    public var manifests: String?
    /// Verification outcome.
    public var verification: BuildSummary.Verification
    /// Stage timings.
    public var stages: [StageRecord]
    /// The build log.
    public var log: String
    /// Seconds in all.
    public var seconds: Double
    /// The failure, if any.
    public var error: String?
}

/// One recipe's container build. Failures end up in the summary, as for VM builds.
public struct ContainerImageBuilder: Sendable {
    /// The directory below an image's version directory that holds its container build.
    public static let directoryName = "container"
    /// The suffix of the container image's repository (`labs/debian-desktop-pod`), beside the VM's.
    public static let repositorySuffix = "-pod"

    let recipe: Recipe
    let options: BuildOptions
    let store: BaseImageStore
    let reporter: any ProgressReporter
    let logger: Logger

    /// Creates a builder.
    /// - Parameters:
    ///   - recipe: The recipe.
    ///   - options: The run's options (output, push, verify, force).
    ///   - store: The base store (its mirror and archive state).
    ///   - reporter: Progress.
    ///   - logger: One-line notices.
    public init(recipe: Recipe, options: BuildOptions, store: BaseImageStore, reporter: any ProgressReporter, logger: Logger) {
        self.recipe = recipe
        self.options = options
        self.store = store
        self.reporter = reporter
        self.logger = logger
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    /// Where the output goes.
    public static func directory(root: String, recipe: Recipe) throws -> String {
        try ImageOutput(root: root, name: recipe.name, version: recipe.version).directory + "/" + directoryName
    }

    /// Builds (or finds unchanged) the container image.
    /// - Returns: The summary.
    public func build() async -> ContainerBuildSummary {
        let started = Date()
        var summary = ContainerBuildSummary(
            name: recipe.name, version: recipe.version, kind: BuildTarget.container.rawValue, status: .failed, fingerprint: "",
            directory: "", verification: .init(status: "not-run", summary: "not run"), stages: [], log: "", seconds: 0)
        let plan: ContainerPlan
        let directory: String
        do {
            try recipe.validate()
            plan = try ContainerPlan(recipe: recipe)
            directory = try Self.directory(root: options.output, recipe: recipe)
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            summary.error = "\(error)"
            return summary
        }
        summary.directory = directory
        let archive = try? await store.checkArchive(for: DebianBootstrap(suite: plan.suite))
        let fingerprint: String
        do {
            fingerprint = try Self.fingerprint(recipe: recipe, plan: plan, archive: archive?.keyInput ?? "", store: store, toolVersion: options.toolVersion)
        } catch {
            summary.error = "\(error)"
            return summary
        }
        summary.fingerprint = fingerprint
        let summaryPath = directory + "/summary.json"
        let layout = directory + "/oci"
        if !options.force, let data = FileManager.default.contents(atPath: summaryPath),
           var previous = try? JSONDecoder().decode(ContainerBuildSummary.self, from: data),
           previous.fingerprint == fingerprint, previous.status != .failed, (try? ImageLayout(path: layout)) != nil,
           !options.verify || previous.verification.status == "passed", options.push == nil || previous.pushed != nil {
            previous.status = .unchanged
            previous.seconds = Date().timeIntervalSince(started)
            reporter.report(ProgressEvent(subject: recipe.name, stage: "container", detail: "unchanged (\(fingerprint.prefix(16)))", completed: 1, total: 1, unit: .steps, finished: true))
            return previous
        }
        summary.log = directory + "/build.log"
        guard let log = BuildLog(path: summary.log) else {
            summary.error = "cannot create \(summary.log)"
            return summary
        }
        defer { log.close() }
        log.line("labforge \(options.toolVersion) build \(recipe.name) \(recipe.version) --target container, fingerprint \(fingerprint)")
        for entry in plan.entries {
            switch entry.action {
            case .apply: continue
            case .skip(let reason): log.line("step \(entry.planned.number) (\(entry.planned.step.title)): skipped in a container — \(reason)")
            case .service(let service): log.line("step \(entry.planned.number) (\(entry.planned.step.title)): runs under the supervisor as \(service.name)")
            }
        }
        var stage = BuildStage.base
        do {
            let scratch = try makeScratch()
            defer { Self.removeTree(scratch, logger: logger) }
            stage = .customize
            let tree = try await timed(.customize, &summary, log) { try await makeTree(plan: plan, scratch: scratch, log: log) }
            stage = .package
            let packaged = try await timed(.package, &summary, log) {
                try pack(tree: tree.path, uid: tree.uid, gid: tree.gid, home: tree.home, plan: plan, fingerprint: fingerprint, layout: layout, log: log)
            }
            Self.removeTree(tree.path, logger: logger)
            summary.layout = layout
            summary.manifestDigest = packaged.manifestDigest.description
            summary.imageBytes = packaged.layer.size
            summary.uncompressedBytes = packaged.layer.uncompressedSize
            if options.verify {
                stage = .verify
                let report = try await timed(.verify, &summary, log) { try await verify(layout: layout, directory: directory, log: log) }
                summary.verification = .init(status: report.passed ? "passed" : "failed", summary: report.table, report: directory + "/verification.json")
                guard report.passed else { throw VerifyError.probesFailed(failed: report.failedProbes, report: report) }
            }
            stage = .push
            let pushed = try await timed(.push, &summary, log) { try await push(layout: layout, digest: packaged.manifestDigest.description) }
            summary.reference = pushed.reference
            summary.pushed = pushed.pushed
            stage = .manifests
            let reference = pushed.reference
            let manifests = try await timed(.manifests, &summary, log) { try writeManifests(plan: plan, directory: directory, uid: tree.uid, reference: reference) }
            summary.manifests = manifests
            summary.status = .built
        } catch {
            log.line("FAILED in \(stage.rawValue): \(error)")
            summary.error = "\(stage.rawValue): \(error)"
            summary.status = .failed
        }
        summary.seconds = (Date().timeIntervalSince(started) * 1000).rounded() / 1000
        if let data = try? Self.encoder.encode(summary) { try? FileWrite.atomically(data, to: summaryPath) }
        log.line(summary.status == .built ? "container image built in \(String(format: "%.1f", summary.seconds)) s" : "container build failed")
        reporter.report(ProgressEvent(subject: recipe.name, stage: "container", detail: "\(summary.status.rawValue) in \(String(format: "%.0f", summary.seconds)) s", completed: 1, total: 1, unit: .steps, finished: true))
        return summary
    }

    /// sha256 over what the image is made of: the recipe, the container plan's staged files and hooks, the archives, the
    /// mirror, labforge's version and its engine identity (``EngineIdentity``: the recipe DSL's meaning and the packer).
    static func fingerprint(recipe: Recipe, plan: ContainerPlan, archive: String, store: BaseImageStore, toolVersion: String) throws -> String {
        var hasher = SHA256()
        let script = ContainerTreeScript(plan: plan, artifacts: [:], staging: "/staging")
        let files = ContainerTreeScript.stagedFiles(plan: plan).sorted { $0.key < $1.key }
        let parts = ["labforge-container-1"] + ContainerTreeScript.dpkgExcludes + [try recipe.fingerprint, toolVersion, EngineIdentity.customization, EngineIdentity.packaging, archive, store.bootstrapper.mirror, store.bootstrapper.securityMirror, plan.suite]
            + script.includedPackages + script.hooks.map(\.script) + files.map { "\($0.key)\u{0}\($0.value)" }
        for part in parts { hasher.update(data: Data((part + "\u{0}").utf8)) }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    private func timed<T>(_ stage: BuildStage, _ summary: inout ContainerBuildSummary, _ log: BuildLog, _ work: () async throws -> T) async throws -> T {
        let started = Date()
        log.line("==> \(stage.rawValue)")
        reporter.report(ProgressEvent(subject: recipe.name, stage: stage.rawValue, detail: "container", completed: 0, total: nil, unit: .steps))
        do {
            let value = try await work()
            let seconds = Date().timeIntervalSince(started)
            summary.stages.append(StageRecord(stage: stage, outcome: .ran, seconds: (seconds * 1000).rounded() / 1000, detail: "container"))
            log.line("<== \(stage.rawValue) done in \(String(format: "%.1f", seconds)) s")
            return value
        } catch {
            summary.stages.append(StageRecord(stage: stage, outcome: .failed, seconds: Date().timeIntervalSince(started), detail: "\(error)"))
            throw error
        }
    }

    private func makeScratch() throws -> String {
        let path = options.cacheRoot + "/container-work/" + recipe.name + "-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: options.cacheRoot + "/container-work", withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        return path
    }

    /// The root tree: one mmdebstrap run with the plan's packages and hooks; then the lab user is read from it.
    private func makeTree(plan: ContainerPlan, scratch: String, log: BuildLog) async throws -> (path: String, uid: Int, gid: Int, home: String) {
        let cache = ArtifactCache(directory: options.cacheRoot + "/artifacts")
        var artifacts: [PinnedArtifact: String] = [:]
        for case .install(let requests) in plan.applied.map(\.step) {
            for request in requests {
                switch request.source {
                case .repositories: continue
                case .artifact(let artifact), .repositoriesElse(let artifact):
                    if artifacts[artifact] == nil { artifacts[artifact] = try await cache.fetch(artifact) }
                }
            }
        }
        let staging = scratch + "/staging"
        try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        for (name, contents) in ContainerTreeScript.stagedFiles(plan: plan) {
            try contents.write(toFile: staging + "/" + name, atomically: true, encoding: .utf8)
        }
        let script = ContainerTreeScript(plan: plan, artifacts: artifacts, staging: staging)
        var hooks: [String] = []
        for (index, hook) in script.hooks.enumerated() {
            let path = staging + "/hook-\(index)-\(hook.name).sh"
            try hook.script.write(toFile: path, atomically: true, encoding: .utf8)
            hooks.append("sh '\(path)' \"$1\"")
        }
        log.line("root tree on the host: mmdebstrap \(plan.suite), --include \(script.includedPackages.joined(separator: ",")) (steps \(script.batchedSteps.map(String.init).joined(separator: ", "))), then \(hooks.count) hooks")
        let tree = DebianRootTree(
            suite: plan.suite, packages: script.includedPackages, customizeHooks: hooks,
            sources: DebianRootTree.sources(for: plan.suite, mirror: store.bootstrapper.mirror, securityMirror: store.bootstrapper.securityMirror),
            // /run/labforge/credentials must stay (the hardening hook empties the rest of /run itself).
            skip: ["cleanup/run"], dpkgOptions: ContainerTreeScript.dpkgExcludes)
        let root = scratch + "/root"
        let sink: @Sendable (String) -> Void = { text in log.write(text) }
        do {
            try await tree.make(into: root, logger: logger, log: sink)
        } catch let BasesError.toolFailed(_, _, status, output) {
            let step = output.components(separatedBy: "\n").last { $0.hasPrefix(ContainerTreeScript.stepMarker) }?
                .dropFirst(ContainerTreeScript.stepMarker.count).trimmingCharacters(in: .whitespaces)
            throw PipelineError.containerStep(step: step ?? "mmdebstrap (package installation)", status: status, outputTail: output.components(separatedBy: "\n").suffix(15).joined(separator: "\n"))
        }
        let account = try Self.account(plan.labUser, in: root)
        guard account.uid >= 1000 else {
            throw PipelineError.containerUser(user: plan.labUser, reason: "its uid is \(account.uid); a pod lab's user has uid 1000 or above (give CreateUser a uid:)")
        }
        return (root, account.uid, account.gid, account.home)
    }

    /// The lab user's uid, gid and home from the tree's /etc/passwd.
    static func account(_ user: String, in root: String) throws -> (uid: Int, gid: Int, home: String) {
        let passwd = (try? String(contentsOfFile: root + "/etc/passwd", encoding: .utf8)) ?? ""
        for line in passwd.split(separator: "\n") {
            let fields = line.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            if fields.count >= 7, fields[0] == user, let uid = Int(fields[2]), let gid = Int(fields[3]) { return (uid, gid, fields[5]) }
        }
        throw PipelineError.containerUser(user: user, reason: "not in the tree's /etc/passwd: create it with CreateUser")
    }

    private func pack(tree: String, uid: Int, gid: Int, home: String, plan: ContainerPlan, fingerprint: String, layout: String, log: BuildLog) throws -> PackagedContainerImage {
        var annotations = [
            AnnotationKey.description: recipe.description,
            AnnotationKey.source: "labforge recipe \(recipe.name)",
            ContainerImageAnnotation.recipe: recipe.name,
            ContainerImageAnnotation.recipeFingerprint: try recipe.fingerprint,
            ContainerImageAnnotation.buildFingerprint: fingerprint,
            ContainerImageAnnotation.kind: BuildTarget.container.rawValue,
            ImageVerifier.probesLabel: ImageVerifier.containerTargets(ProbePlan(recipe: recipe)).targets.map(\.argument).joined(separator: ","),
            ImageVerifier.userLabel: plan.labUser,
        ]
        if let revision = ProcessInfo.processInfo.environment["LABFORGE_SOURCE_REVISION"] { annotations[AnnotationKey.revision] = revision }
        let options = ContainerImageOptions(
            name: try RepositoryName(recipe.name + Self.repositorySuffix), tag: try Tag(recipe.version),
            compression: self.options.layerCompression == .zstd ? .zstd : .gzip, user: "\(uid):\(gid)",
            exposedPorts: plan.ports.map(\.port), environment: [
                "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=\(home)", "USER=\(plan.labUser)",
                "LANG=C.UTF-8", "TERM=xterm-256color",
            ], workingDirectory: home, entrypoint: LabSupervisor.entrypoint, annotations: annotations,
            timestamp: self.options.sourceDateEpoch ?? ReproducibleTime.fromEnvironment(), force: true)
        let packaged = try ContainerImagePacker(progress: reporter).package(tree: tree, into: layout, options: options)
        log.line("layer \(packaged.layer.digest): \(ByteCount.format(packaged.layer.size)) (\(ByteCount.format(packaged.layer.uncompressedSize)) uncompressed, \(packaged.layer.entries) entries, \(packaged.layer.skippedSpecialFiles) device nodes left out); manifest \(packaged.manifestDigest) in \(String(format: "%.1f", packaged.seconds)) s")
        if !packaged.layer.strippedSetuid.isEmpty { log.line("setuid/setgid removed while packing: \(packaged.layer.strippedSetuid.joined(separator: " "))") }
        return packaged
    }

    private func verify(layout: String, directory: String, log: BuildLog) async throws -> VerificationReport {
        let report = try await ImageVerifier(logger: logger, progress: reporter).verify(
            layout: layout, plan: ProbePlan(recipe: recipe), options: ImageVerifyOptions(probeTimeout: min(options.verifyTimeout, 180), consoleLog: log.path))
        log.line(report.table)
        if let data = try? Self.encoder.encode(report) { try? FileWrite.atomically(data, to: directory + "/verification.json") }
        return report
    }

    private func push(layout: String, digest: String) async throws -> (reference: String, pushed: BuildSummary.Pushed?) {
        let target = options.push ?? options.referencePrefix
        let repository = target.repository(for: recipe.name + Self.repositorySuffix)
        guard let push = options.push else {
            return ("\(target.registry)/\(repository):\(recipe.version)@\(digest)", nil)
        }
        var tags = [recipe.version, options.datedTag(version: recipe.version)]
        if recipe.latest { tags.append("latest") }
        let credential = try CredentialStore(authFile: options.authFile).credential(registry: push.registry, repository: repository)
        let opened = try ImageLayout(path: layout)
        let name = try RepositoryName(repository)
        let tagValues = try tags.map { try Tag($0) }
        let result = try await RegistryClient.withConnection(to: push.registry, credential: credential) { client in
            try await LayoutPusher(destination: client, progress: reporter).push(layout: opened, sourceTag: nil, to: name, tags: tagValues)
        }
        return ("\(push.registry)/\(repository):\(recipe.version)@\(result.digest)",
                .init(reference: result.reference, repository: "\(push.registry)/\(repository)", tags: result.tags))
    }

    private func writeManifests(plan: ContainerPlan, directory: String, uid: Int, reference: String) throws -> String {
        let output = directory + "/manifests"
        try PodLabManifests(recipe: recipe, plan: plan, image: reference, uid: uid, recipeFingerprint: recipe.fingerprint).write(to: output)
        return output
    }

    /// Removes a scratch tree unless something is mounted inside it (a killed mmdebstrap's /proc): never rm -rf across a mount.
    static func removeTree(_ path: String, logger: Logger) {
        let mounts = DebianBootstrapper.mountPoints(under: path)
        guard mounts.isEmpty else {
            logger.warning("not removing \(path): still mounted inside it: \(mounts.joined(separator: ", ")); unmount them and remove it by hand")
            return
        }
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// Annotations labforge adds to a pod lab image.
public enum ContainerImageAnnotation {
    /// The recipe's name.
    public static let recipe = "dev.labforge.recipe"
    /// The recipe's fingerprint (steps and metadata).
    public static let recipeFingerprint = "dev.labforge.recipe.fingerprint"
    /// Everything the image was built from.
    public static let buildFingerprint = "dev.labforge.build.fingerprint"
    /// `container` (a containerDisk says `vm` by its disk annotations).
    public static let kind = "dev.labforge.kind"
}

extension ContainerImageBuilder {
    /// The catalog entry of a built container image: kind `container`, sizes of its layer, the recipe's features.
    /// - Parameters:
    ///   - recipe: The recipe.
    ///   - summary: Its container build.
    ///   - toolVersion: labforge's version.
    /// - Returns: The entry.
    /// - Throws: When the summary has no usable reference or digest.
    static func catalogEntry(recipe: Recipe, summary: ContainerBuildSummary, toolVersion: String) throws -> CatalogEntry {
        guard let reference = summary.reference, let digestText = summary.manifestDigest else {
            throw PipelineError.outputUnusable(path: summary.directory, reason: "no image reference in the container summary")
        }
        let digest = try Digest(parsing: digestText)
        let repository = String(reference.split(separator: "@").first?.split(separator: ":").dropLast().joined(separator: ":") ?? "")
        let description = ImageDescription(
            name: recipe.name, version: recipe.version, displayName: recipe.displayName, summary: recipe.description,
            operatingSystem: ImageBuilder.operatingSystem(of: recipe.base).map(OperatingSystem.init(parsing:)),
            repository: repository, tag: recipe.version, digest: digest, diskVirtualSize: summary.uncompressedBytes ?? 0,
            compressedSize: summary.imageBytes, agents: ExposedAgent.agents(of: recipe), labUser: ProbePlan(recipe: recipe).userName,
            credentialsSecret: "\(recipe.name)-credentials")
        let status = CatalogEntry.Verification.Status(rawValue: summary.verification.status) ?? .notRun
        var entry = CatalogEntry(
            image: description,
            build: .init(time: Date().formatted(.iso8601), recipeFingerprint: summary.fingerprint, baseImage: "mmdebstrap root tree", labforgeVersion: toolVersion),
            verification: .init(status: status, summary: summary.verification.summary))
        entry.kind = .container
        entry.instancetype = nil
        entry.preference = nil
        return entry
    }
}
