// The SBOM stage: the image's packages, licenses and recipe files as SPDX 2.3, cached with the image by fingerprint.
import AtomicFile
import Crypto
import Customize
import Foundation
import Guestfs
import Reporting
import SBOM

/// Writes `sbom.spdx.json` beside the image. A VM image's inventory comes from the customize appliance when this run
/// customized (handed on in ``CustomizedDisk/inventory``: no second appliance launch), else from the cached SBOM of
/// the fingerprint, else from the finished disk in a read-only appliance; a pod image's from its root tree on the host.
struct SBOMStage: Stage {
    static let kind = BuildStage.sbom

    func key(for source: SBOMSource, in context: StageContext) throws -> String? { context.fingerprint.hex }

    func run(_ source: SBOMSource, key: String?, in context: StageContext) async throws -> StageResult<SBOMDocument> {
        let cached = context.cache.sbom(context.fingerprint)
        let started = Date()
        var note = ""
        let data: Data
        let packages: Int
        let outcome: StageRecord.Outcome
        var seconds: Double?
        if case .disk(_, let read?) = source, let inventory = read.inventory {
            // Read a moment ago by the customize stage (in its appliance, or from a foreign architecture's root tree):
            // that was this stage's work.
            (data, packages) = try render(inventory, context)
            let origin = context.architecture == .amd64 ? "in the customize appliance" : "from the customized root tree"
            context.log.line("sbom: read \(origin): \(read.note)")
            note = " (read \(origin))"
            seconds = read.seconds
            outcome = .ran
        } else if !context.options.force, let existing = FileManager.default.contents(atPath: cached),
                  let count = try? SBOMFile.packages(in: existing, path: cached).count {
            (data, packages, outcome) = (existing, count, .cached)
        } else {
            if case .disk(_, let read?) = source { context.log.line("sbom: not read by the customize stage (\(read.note)); reading the finished disk") }
            let inventory = try await Self.inventory(of: source, context)
            (data, packages) = try render(inventory, context)
            seconds = Date().timeIntervalSince(started)
            outcome = .ran
        }
        if outcome == .ran { try AtomicFile.write(data, to: cached) }
        try AtomicFile.write(data, to: context.output.sbom)
        let digest = "sha256:" + SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
        let record = BuildSummary.SBOMRecord(path: context.output.sbom, digest: digest, packages: packages, seconds: seconds)
        return StageResult(output: SBOMDocument(record: record), outcome: outcome, detail: "\(packages) packages, \(digest)\(note)")
    }

    /// What the customize appliance is asked to read for the SBOM.
    static func request(for context: StageContext) -> InventoryRequest {
        let inputs = RecipeSupplyInputs(recipe: context.recipe)
        return InventoryRequest(
            subject: .init(name: context.recipe.name, version: context.recipe.version), filePaths: inputs.filePaths,
            artifacts: inputs.artifacts, base: base(inputs, context))
    }

    /// The inventory read from the source itself.
    private static func inventory(of source: SBOMSource, _ context: StageContext) async throws -> SoftwareInventory {
        let request = request(for: context)
        switch source {
        case .disk(let disk, _):
            let reader = DiskInventoryReader(settings: ApplianceSettings(memoryMiB: 1024, cpus: Int32(min(context.options.cpus, 2))))
            return try await DedicatedThread.run(name: "labforge.sbom.\(context.recipe.name)") {
                try reader.read(disk: disk.path, subject: request.subject, filePaths: request.filePaths, artifacts: request.artifacts, base: request.base)
            }
        case .tree(let tree):
            return try TreeInventoryReader().read(
                root: tree.path, subject: request.subject, filePaths: request.filePaths, artifacts: request.artifacts, base: request.base)
        }
    }

    /// The base as the SBOM names it: the recipe's, identified as the fingerprint does.
    private static func base(_ inputs: RecipeSupplyInputs, _ context: StageContext) -> SoftwareInventory.Base {
        var base = inputs.base
        base.name = context.fingerprint.baseIdentity
        return base
    }

    /// SPDX bytes and package count.
    private func render(_ inventory: SoftwareInventory, _ context: StageContext) throws -> (Data, Int) {
        let data = try SBOMFormat.spdx.render(
            inventory, created: context.options.sourceDateEpoch ?? SBOMTime.creation(), tool: "labforge-\(context.options.toolVersion)")
        return (data, inventory.packages.count)
    }
}
