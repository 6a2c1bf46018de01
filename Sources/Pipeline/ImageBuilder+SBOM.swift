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
        let started = Date()
        var seconds: Double?
        var outcome = StageRecord.Outcome.cached
        var data: Data
        let packages: Int
        // With --force the cache counts only when this run's customize appliance just wrote it.
        if !options.force || state.sbomReadSeconds != nil, let existing = FileManager.default.contents(atPath: cached),
           let count = try? SBOMFile.packages(in: existing, path: cached).count {
            data = existing
            packages = count
            if let inAppliance = state.sbomReadSeconds {
                seconds = inAppliance
                // Read a moment ago in the customize appliance: that was this stage's work.
                outcome = .ran
                log.line("sbom: read in the customize appliance in \(String(format: "%.1f", inAppliance)) s")
            }
        } else {
            let inputs = RecipeSupplyInputs(recipe: recipe)
            let reader = DiskInventoryReader(settings: ApplianceSettings(memoryMiB: 1024, cpus: Int32(min(options.cpus, 2))))
            let inventory = try reader.read(
                disk: disk, subject: .init(name: recipe.name, version: recipe.version), filePaths: inputs.filePaths,
                artifacts: inputs.artifacts, base: sbomBase(inputs, fingerprint: fingerprint)
            )
            (data, packages) = try renderSBOM(inventory)
            try FileWrite.atomically(data, to: cached)
            outcome = .ran
            seconds = Date().timeIntervalSince(started)
        }
        try FileWrite.atomically(data, to: output.sbom)
        let digest = "sha256:" + SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
        state.sbom = BuildSummary.SBOMRecord(path: output.sbom, digest: digest, packages: packages, seconds: seconds)
        log.line("sbom: \(packages) packages, \(digest)")
        let place = state.sbomReadSeconds != nil && outcome == .ran ? " (read in the customize appliance)" : ""
        return ((), outcome, "\(packages) packages, \(digest)\(place)")
    }

    /// Reads the SBOM in the customizer's open appliance into the cache (no second appliance launch). A failure is
    /// only logged: the SBOM stage then reads the finished disk and reports the error where it belongs.
    func readSBOM(in appliance: Appliance, system: Guestfs.OperatingSystem, disk: String, fingerprint: ImageFingerprint, state: State, log: BuildLog) {
        let started = Date()
        var phases: [String] = []
        do {
            let inputs = RecipeSupplyInputs(recipe: recipe)
            let inventory = try DiskInventoryReader.inventory(
                in: appliance, system: system, disk: disk, subject: .init(name: recipe.name, version: recipe.version),
                filePaths: inputs.filePaths, artifacts: inputs.artifacts, base: sbomBase(inputs, fingerprint: fingerprint)
            ) { name, seconds in phases.append("\(name) \(String(format: "%.2f", seconds)) s") }
            let renderStarted = Date()
            try FileWrite.atomically(try renderSBOM(inventory).data, to: cache.sbom(fingerprint))
            phases.append("SPDX \(String(format: "%.2f", Date().timeIntervalSince(renderStarted))) s")
            state.sbomReadSeconds = Date().timeIntervalSince(started)
            log.line("sbom: read in the customize appliance: \(phases.joined(separator: ", "))")
        } catch {
            log.line("sbom: not read in the customize appliance (\(error)); the sbom stage reads the finished disk")
        }
    }

    /// The base as the SBOM names it: the recipe's, identified as the fingerprint does.
    private func sbomBase(_ inputs: RecipeSupplyInputs, fingerprint: ImageFingerprint) -> SoftwareInventory.Base {
        var base = inputs.base
        base.name = fingerprint.baseIdentity
        return base
    }

    /// SPDX bytes and package count.
    private func renderSBOM(_ inventory: SoftwareInventory) throws -> (data: Data, packages: Int) {
        let data = try SBOMFormat.spdx.render(inventory, created: options.sourceDateEpoch ?? SBOMTime.creation(), tool: "labforge-\(options.toolVersion)")
        return (data, inventory.packages.count)
    }
}
