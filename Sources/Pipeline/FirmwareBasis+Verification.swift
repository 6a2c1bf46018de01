// The firmware basis of a built image from the boots of its verification report.
import Foundation
import Kube
import LabforgeRecipe
import Verify

extension FirmwareBasis {
    /// The basis of an image claiming `claimed`, with the firmware boots of `report` (one boot per firmware).
    /// - Parameters:
    ///   - claimed: The claimed firmwares.
    ///   - report: The verification report; nil, or a report without firmware boots (a container image's, or one
    ///     written before firmware was verified), leaves every firmware not verified.
    public init(claimed: [Firmware], report: VerificationReport?) {
        let boots = report?.firmware ?? []
        self.init(claimed: claimed, verified: boots.filter(\.passed).map(\.firmware), failed: boots.filter { !$0.passed }.map(\.firmware))
    }

    /// The basis of an image claiming `claimed`, with the firmware boots of the verification report at `path`.
    /// - Parameters:
    ///   - claimed: The claimed firmwares (nil: those the report booted).
    ///   - path: A report written by `labforge verify --report FILE` or `labforge build` (`verification.json`).
    /// - Throws: ``PipelineError/verificationReportUnreadable(path:reason:)`` when the file cannot be read or decoded,
    ///   or names no firmware and `claimed` is nil.
    public init(claimed: [Firmware]?, reportAt path: String) throws {
        let report: VerificationReport
        do {
            report = try JSONDecoder().decode(VerificationReport.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw PipelineError.verificationReportUnreadable(path: path, reason: "\(error)")
        }
        guard let claimed = claimed ?? report.firmware?.map(\.firmware) else {
            throw PipelineError.verificationReportUnreadable(path: path, reason: "it records no firmware boot; pass the claimed firmware")
        }
        self.init(claimed: claimed, report: report)
    }
}
