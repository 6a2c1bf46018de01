// `labforge customize` for a foreign architecture: the recipe's steps in the base's root tree on the host under
// qemu-user (the appliance is x86_64), then the disk written from the tree, as `labforge build --arch arm64` does.
import Bases
import Customize
import DiskImage
import Foundation
import LabforgeRecipe
import Reporting

extension CustomizeCommand {
    /// The foreign architecture's root tree archive `--base` is, checked against `--arch` and the recipe; nil when the
    /// base is a disk for this host's architecture (the appliance's path, as before).
    /// - Parameter recipe: The recipe as loaded.
    /// - Returns: The archive's facts, or nil.
    /// - Throws: ``CustomizeBaseError`` naming the base and what to give instead.
    func foreignBase(for recipe: Recipe) async throws -> RootTreeArchiveFacts? {
        if let architecture, ForeignArchitecture.isForeign(architecture), !FileManager.default.isReadableFile(atPath: base) {
            throw CustomizeError.baseNotFound(base)
        }
        guard RootTreeArchiveFacts.isArchive(base) else {
            if let architecture, ForeignArchitecture.isForeign(architecture) {
                throw CustomizeBaseError.diskForForeignArchitecture(base: base, architecture: architecture)
            }
            return nil
        }
        let facts = try await RootTreeArchiveFacts.read(base)
        if let architecture, architecture != facts.architecture {
            throw CustomizeBaseError.architectureMismatch(base: base, tree: facts.architecture, asked: architecture)
        }
        guard ForeignArchitecture.isForeign(facts.architecture) else {
            throw CustomizeBaseError.archiveOfHostArchitecture(base: base, architecture: facts.architecture)
        }
        // An upstream or local disk recipe cannot be built for another architecture (RecipeError says so).
        guard case .debianBootstrap(let spec) = try recipe.building(for: facts.architecture).base else { return facts }
        guard spec.suite == facts.codename else {
            throw CustomizeBaseError.suiteMismatch(base: base, tree: facts.codename, recipe: recipe.name, recipeSuite: spec.suite)
        }
        return facts
    }

    /// Runs `recipe` (as built for the archive's architecture) in the base's tree in a private work directory beside
    /// `--output`, then writes the disk from the tree (the bootstrap's layout, sized for the recipe's `GrowDisk`).
    /// - Parameters:
    ///   - recipe: The recipe as built for the foreign architecture.
    ///   - customizer: The customizer (its log, reporter and artifact cache).
    ///   - log: The build log.
    /// - Returns: The result, `output` the written disk.
    /// - Throws: ``CustomizeError`` for a failed step, ``Bases/BasesError`` when the tree or the disk cannot be written.
    func customizeTree(_ recipe: Recipe, customizer: Customizer, log: @escaping @Sendable (String) -> Void) async throws -> CustomizationResult {
        let started = Date()
        let parent = URL(fileURLWithPath: output).standardizedFileURL.deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: parent, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw CustomizeError.outputDirectoryMissing(output)
        }
        let work = parent + "/.labforge-customize-" + UUID().uuidString.prefix(8)
        do {
            try FileAccess.makePrivateDirectory(work)
        } catch {
            throw CustomizeBaseError.workDirectoryUnusable(path: work, reason: "\(error)")
        }
        Interruption.register(work)
        defer {
            if let left = ScratchRemoval.remove(work) {
                FileHandle.standardError.write(Data("warning: not removing \(left)\n".utf8))
            } else {
                Interruption.unregister(work)
            }
        }
        let customized = try await customizer.customizeTree(recipe: recipe, baseArchive: base, baseIdentity: base, workDirectory: work, leases: CacheLeases())
        let grown = recipe.plan.compactMap { if case .growRoot(let size) = $0.step { return size } else { return nil } }
        let sizeGiB = ([customized.bootstrap.diskSizeGiB] + grown).max() ?? customized.bootstrap.diskSizeGiB
        log("writing the \(recipe.architectures.map(\.rawValue).joined()) disk (\(sizeGiB) GiB, UEFI) from the tree to \(output)\n")
        try await DebianBootstrapper(log: log).writeDisk(rootTree: customized.root, spec: customized.bootstrap, sizeGiB: sizeGiB, output: output, log: log)
        var result = customized.result
        result.output = output
        var info = stat()
        result.outputBytes = stat(output, &info) == 0 ? Int64(info.st_blocks) * 512 : 0
        result.totalSeconds = Date().timeIntervalSince(started)
        return result
    }
}
