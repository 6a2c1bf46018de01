// What a build records about firmware: the claim, each firmware's verification from the report the verify stage wrote,
// the preference the containerDisk may name, and the summary's JSON and table.
import Bases
import Foundation
import Kube
import LabforgeRecipe
import Logging
@testable import Pipeline
import Recipes
import Reporting
import Testing
import TestSupport
import Verify

@Suite("build: firmware")
struct BuildFirmwareTests {
    /// A verification report as the verify stage writes it, with one boot per firmware (nil: none recorded).
    static func report(_ boots: [(Firmware, Bool)]?, passed: Bool = true) throws -> VerificationReport {
        let firmware = boots.map { boots in
            ", \"firmware\": [" + boots.map { #"{"firmware": "\#($0.0.rawValue)", "passed": \#($0.1), "kernelStarted": true, "probes": [], "seconds": 1}"# }
                .joined(separator: ", ") + "]"
        } ?? ""
        let json = """
            {"disk": "disk.qcow2", "accelerator": "tcg", "results": [], "passed": \(passed), "seconds": 1, "stoppedBy": "powerdown",
             "consoleTail": "", "finishedAt": "2026-12-05T12:00:00Z"\(firmware)}
            """
        return try JSONDecoder().decode(VerificationReport.self, from: Data(json.utf8))
    }

    @Test("the report's boots decide each claimed firmware; no boots recorded, or no report, leaves all not verified")
    func basisFromReport() throws {
        let mixed = FirmwareBasis(claimed: Firmware.standard, report: try Self.report([(.uefiSecureBoot, false), (.bios, true), (.uefi, true)]))
        #expect(mixed.claims == [.init(firmware: .uefiSecureBoot, status: .failed), .init(firmware: .bios, status: .verified)])
        #expect(mixed.firmware == [.bios])
        #expect(mixed.admittedPreference("debian") == nil)
        let old = FirmwareBasis(claimed: Firmware.standard, report: try Self.report(nil))
        #expect(!old.isVerified)
        #expect(old.firmware == Firmware.standard)
        #expect(old.admittedPreference("debian") == "debian")
        #expect(FirmwareBasis(claimed: [.bios], report: nil) == FirmwareBasis(claimed: [.bios]))
    }

    @Test("the package stage's key and label follow the verification's firmware basis; an unverified claim admits the preference")
    func basisOfABuild() throws {
        let work = try TemporaryDirectory()
        defer { work.remove() }
        var recipe = Recipes.debianTerminal
        recipe.firmware = [.uefiSecureBoot, .uefi, .bios]
        let context = try testContext(recipe, in: work)
        #expect(VerifyStage.notRun(context).firmware == FirmwareBasis(claimed: recipe.firmware))

        let basis = FirmwareBasis(claimed: recipe.firmware, report: try Self.report([(.uefiSecureBoot, true), (.uefi, false), (.bios, true)]))
        #expect(basis.summary == "UEFI Secure Boot ✓, UEFI FAILED, BIOS ✓")
        #expect(basis.admittedPreference(recipe.preference) == "debian")
        let disk = FinalDisk(path: "/cache/disk.qcow2")
        let verified = try ContainerDiskStage().key(for: ContainerDiskInput(disk: disk, firmware: basis), in: context) ?? ""
        #expect(verified.hasSuffix("firmware=uefi-secure-boot,uefi,bios preference=debian"), "\(verified)")
        let secureBootFailed = FirmwareBasis(claimed: recipe.firmware, report: try Self.report([(.uefiSecureBoot, false), (.bios, true)]))
        let refused = try ContainerDiskStage().key(for: ContainerDiskInput(disk: disk, firmware: secureBootFailed), in: context) ?? ""
        #expect(refused.hasSuffix("preference=-"), "\(refused)")

        let path = work.appending("verification.json")
        try "{".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: PipelineError.self) { try FirmwareBasis(claimed: recipe.firmware, reportAt: path) }
    }

    @Test("the summary's JSON lists each firmware's status; the table says it in one line")
    func summary() throws {
        let firmware = FirmwareBasis(claimed: Firmware.standard, verified: [.uefiSecureBoot], failed: [.bios])
        let summary = BuildSummary(
            name: "lab", version: "1.0", status: .built, fingerprint: "f", baseImage: "b", directory: "/images/lab/1.0", disk: nil,
            diskBytes: nil, layout: nil, manifestDigest: nil, pushed: nil, reference: "127.0.0.1:5000/labs/lab:1.0@sha256:ab", manifests: nil,
            verification: .init(status: "passed", summary: "ok"), stages: [], log: "", finished: "2026-12-05T12:00:00Z", seconds: 1,
            error: nil, firmware: firmware)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = try #require(try JSONSerialization.jsonObject(with: encoder.encode(summary)) as? [String: Any])
        let records = try #require(json["firmware"] as? [[String: String]])
        #expect(records == [["firmware": "uefi-secure-boot", "status": "verified"], ["firmware": "bios", "status": "failed"]])
        #expect(try JSONDecoder().decode(BuildSummary.self, from: encoder.encode(summary)) == summary)
        let report = BuildReport(images: [summary], catalog: "c", page: "p", catalogUpdated: false, failed: 0, seconds: 1)
        #expect(report.table.contains("127.0.0.1:5000/labs/lab:1.0@sha256:ab; firmware: UEFI Secure Boot ✓, BIOS FAILED"), "\(report.table)")
    }
}
