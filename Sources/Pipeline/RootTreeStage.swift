// The pod image's producer, first half: the recipe applied to a Debian root tree on the host (mmdebstrap + hooks).
import AtomicFile
import Bases
import Customize
import Foundation
import LabforgeRecipe
import Reporting

/// Where a pod image's root tree is made: the plan and a private scratch directory the pipeline removes.
struct RootTreeInput: Sendable {
    /// What the recipe's steps mean in a container.
    var plan: ContainerPlan
    /// A private scratch directory (registered for interrupts).
    var scratch: String
}

/// One mmdebstrap run with the plan's packages and hooks (the recipe's steps), then the lab user read from the tree.
struct RootTreeStage: Stage {
    static let kind = BuildStage.customize

    func key(for input: RootTreeInput, in context: StageContext) throws -> String? { context.fingerprint.hex }

    func run(_ input: RootTreeInput, key: String?, in context: StageContext) async throws -> StageResult<RootTree> {
        let plan = input.plan
        let log = context.log
        let cache = ArtifactCache(directory: context.cache.artifacts, locks: context.cache.locks)
        var artifacts: [PinnedArtifact: String] = [:]
        for case .install(let requests) in plan.applied.map(\.step) {
            for request in requests {
                switch request.source {
                case .repositories: continue
                case .artifact(let artifact), .repositoriesElse(let artifact):
                    if artifacts[artifact] == nil { artifacts[artifact] = try await cache.fetch(artifact, leases: context.leases) }
                }
            }
        }
        let staging = input.scratch + "/staging"
        try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        for (name, contents) in ContainerTreeScript.stagedFiles(plan: plan) {
            try AtomicFile.write(Data(contents.utf8), to: staging + "/" + name)
        }
        let script = ContainerTreeScript(plan: plan, artifacts: artifacts, staging: staging)
        var hooks: [String] = []
        for (index, hook) in script.hooks.enumerated() {
            let path = staging + "/hook-\(index)-\(hook.name).sh"
            try AtomicFile.write(Data(hook.script.utf8), to: path)
            hooks.append("sh '\(path)' \"$1\"")
        }
        log.line("root tree on the host: mmdebstrap \(plan.suite), --include \(script.includedPackages.joined(separator: ",")) (steps \(script.batchedSteps.map(String.init).joined(separator: ", "))), then \(hooks.count) hooks")
        let store = context.store
        let tree = DebianRootTree(
            suite: plan.suite, packages: script.includedPackages, customizeHooks: hooks,
            sources: DebianRootTree.sources(for: plan.suite, mirror: store.bootstrapper.mirror, securityMirror: store.bootstrapper.securityMirror),
            // /run/labforge/credentials must stay (the hardening hook empties the rest of /run itself).
            skip: ["cleanup/run"], dpkgOptions: ContainerTreeScript.dpkgExcludes,
            foreignArchitecture: context.architecture == .amd64 ? nil : context.architecture)
        let root = input.scratch + "/root"
        do {
            try await tree.make(into: root, logger: context.logger, log: { log.write($0) })
        } catch let BasesError.toolFailed(_, _, status, output) {
            let step = output.components(separatedBy: "\n").last { $0.hasPrefix(ContainerTreeScript.stepMarker) }?
                .dropFirst(ContainerTreeScript.stepMarker.count).trimmingCharacters(in: .whitespaces)
            throw PipelineError.containerStep(
                step: step ?? "mmdebstrap (package installation)", status: status, outputTail: output.components(separatedBy: "\n").suffix(15).joined(separator: "\n"))
        }
        let account = try Self.account(plan.labUser, in: root)
        guard account.uid >= 1000 else {
            throw PipelineError.containerUser(user: plan.labUser, reason: "its uid is \(account.uid); a pod lab's user has uid 1000 or above (give CreateUser a uid:)")
        }
        return .ran(
            RootTree(path: root, uid: account.uid, gid: account.gid, home: account.home, plan: plan),
            "mmdebstrap \(plan.suite), \(script.includedPackages.count) packages, \(hooks.count) hooks; \(plan.labUser) uid \(account.uid)")
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
}
