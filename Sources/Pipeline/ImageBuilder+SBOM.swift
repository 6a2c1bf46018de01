// The SBOM stage: the finished disk's package database as SPDX 2.3, cached with the disk by fingerprint.
import Crypto
import Foundation
import Guestfs
import Reporting
import SBOM

extension ImageBuilder {
    /// Reads the SBOM of the final disk (read-only appliance), or takes the cached one of this fingerprint,
    /// and writes it beside the disk as `sbom.spdx.json`.
    func readSBOM(fingerprint: ImageFingerprint, output: ImageOutput, state: State, log: BuildLog) throws -> ((), StageRecord.Outcome, String) {
        guard let disk = state.disk else { return ((), .skipped, "no disk") }
        let cached = cache.sbom(fingerprint)
        var outcome = StageRecord.Outcome.cached
        var data: Data
        let packages: Int
        if !options.force, let existing = FileManager.default.contents(atPath: cached),
           let count = try? SBOMFile.packages(in: existing, path: cached).count {
            data = existing
            packages = count
        } else {
            let inputs = RecipeSupplyInputs(recipe: recipe)
            var base = inputs.base
            base.name = fingerprint.baseIdentity
            let reader = DiskInventoryReader(settings: ApplianceSettings(memoryMiB: 1024, cpus: Int32(min(options.cpus, 2))))
            let inventory = try reader.read(
                disk: disk, subject: .init(name: recipe.name, version: recipe.version), filePaths: inputs.filePaths,
                artifacts: inputs.artifacts, base: base
            )
            data = try SBOMFormat.spdx.render(inventory, created: options.sourceDateEpoch ?? SBOMTime.creation(), tool: "labforge-\(options.toolVersion)")
            packages = inventory.packages.count
            try FileWrite.atomically(data, to: cached)
            outcome = .ran
        }
        try FileWrite.atomically(data, to: output.sbom)
        let digest = "sha256:" + SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
        state.sbom = BuildSummary.SBOMRecord(path: output.sbom, digest: digest, packages: packages)
        log.line("sbom: \(packages) packages, \(digest)")
        return ((), outcome, "\(packages) packages, \(digest)")
    }
}
