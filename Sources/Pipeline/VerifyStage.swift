// The verify stage: a VM disk booted under every firmware its recipe claims, a pod image run in namespaces; the agents
// probed with credentials either way. A passed verification is cached with the image by fingerprint.
import AtomicFile
import Foundation
import Kube
import LabforgeRecipe
import Reporting
import Verify

/// Verifies the image and writes `verification.json` (and the pictures it took) beside it. Skipped with `--no-verify`.
/// A failed verification fails the image, naming the firmware that did not boot or the probes that failed.
struct VerifyStage: Stage {
    static let kind = BuildStage.verify

    /// The verification of a build that did not verify: not run, every claimed firmware not verified.
    static func notRun(_ context: StageContext) -> VerificationOutcome {
        VerificationOutcome(
            summary: .init(status: "not-run", summary: "not run"), firmware: context.target == .vm ? FirmwareBasis(claimed: context.recipe.firmware) : nil)
    }

    /// The probes `recipe`'s image is verified with: the recipe's plan, without the VM-only probes for a pod image.
    /// - Parameters:
    ///   - recipe: The recipe.
    ///   - target: VM disk or pod image.
    /// - Returns: The plan a passed verification must cover to be reused.
    static func plan(for recipe: Recipe, target: BuildTarget) -> ProbePlan {
        target == .container ? ImageVerifier.containerTargets(ProbePlan(recipe: recipe)) : ProbePlan(recipe: recipe)
    }

    /// Whether the verification kept at `path` passed and covers `recipe`'s plan by the current proofs: what lets an
    /// unchanged image stay unchanged (a verification by an earlier revision of the proofs is run again).
    /// - Parameters:
    ///   - path: A `verification.json`.
    ///   - recipe: The recipe.
    ///   - target: VM disk or pod image.
    /// - Returns: False when the file is missing, unreadable, failed or does not cover the plan.
    static func covers(_ path: String, recipe: Recipe, target: BuildTarget) -> Bool {
        guard let data = FileManager.default.contents(atPath: path), let report = try? JSONDecoder().decode(VerificationReport.self, from: data) else {
            return false
        }
        return report.passed && report.covers(plan(for: recipe, target: target))
    }

    func key(for subject: VerificationSubject, in context: StageContext) throws -> String? {
        guard context.options.verify else { return nil }
        return context.fingerprint.hex + (context.target == .vm ? " firmware=" + context.recipe.firmware.map(\.rawValue).joined(separator: ",") : "")
    }

    func run(_ subject: VerificationSubject, key: String?, in context: StageContext) async throws -> StageResult<VerificationOutcome> {
        guard context.options.verify else { return .skipped(Self.notRun(context), "--no-verify") }
        let output = context.output
        let cached = context.cache.verification(context.fingerprint)
        if !context.options.force, let data = FileManager.default.contents(atPath: cached),
           let report = try? JSONDecoder().decode(VerificationReport.self, from: data), report.passed,
           // Only a verification that ran every probe the recipe asks for now (the fingerprint does not name them).
           report.covers(Self.plan(for: context.recipe, target: context.target)),
           // Only a verification under exactly the firmwares the recipe claims now (an older report has none).
           context.target == .container || Set(report.verifiedFirmware) == Set(context.recipe.firmware) {
            try AtomicFile.write(data, to: output.verification)
            let pictures = try placePictures(from: context)
            return .cached(outcome(report, pictures: pictures, context), "passed earlier: " + Self.oneLine(report))
        }
        let report: VerificationReport
        switch subject {
        case .disk(let disk):
            report = try await verifyDisk(disk, context)
        case .image(let image):
            report = try await ImageVerifier(logger: context.logger, progress: context.reporter).verify(
                layout: image.layout, plan: ProbePlan(recipe: context.recipe),
                options: ImageVerifyOptions(probeTimeout: min(context.options.verifyTimeout, 180), consoleLog: output.console))
        }
        try report.write(to: output.verification)
        context.log.write(report.table + "\n")
        guard report.passed else {
            // A firmware that did not boot the disk leads (no probe could pass behind it); then the probes that failed.
            // The outcome travels with the error: the summary of the failed image still says which firmware failed.
            throw FailedVerification(
                outcome: outcome(report, pictures: nil, context),
                error: .verificationFailed(image: context.recipe.name, failed: report.bootFailures + Self.failures(report), log: output.console))
        }
        // The pictures first: a cached verification is only taken with the pictures it had.
        for name in [VerifyOptions.desktopPicture, VerifyOptions.terminalScreen] {
            let taken = output.directory + "/" + name
            if let picture = FileManager.default.contents(atPath: taken) {
                try AtomicFile.write(picture, to: context.cache.picture(context.fingerprint, name))
            } else {
                try? FileManager.default.removeItem(atPath: context.cache.picture(context.fingerprint, name))
            }
        }
        try AtomicFile.write(try report.json(), to: cached)
        let pictures = report.pictures.map { BuildSummary.Pictures(desktop: $0.desktop, terminal: $0.terminal) }
        return .ran(outcome(report, pictures: pictures, context), Self.oneLine(report))
    }

    private func verifyDisk(_ disk: FinalDisk, _ context: StageContext) async throws -> VerificationReport {
        let output = context.output
        let plan = ProbePlan(recipe: context.recipe)
        context.log.line("probes: \(plan.targets.map(\.name).joined(separator: ", ")) as \(plan.userName); serial console in \(output.console)")
        try? FileManager.default.removeItem(atPath: output.console)
        var options = VerifyOptions(
            deadline: context.options.verifyTimeout, cpus: context.options.cpus, memoryMiB: max(2048, context.recipe.minimumMemoryMiB), consoleLog: output.console)
        options.pictures = output.directory
        options.firmware = context.recipe.firmware
        options.architecture = context.architecture
        context.log.line("firmware: \(context.recipe.firmware.map(\.displayName).joined(separator: ", ")) (the first with every probe)")
        return try await Verifier(logger: context.logger, progress: context.reporter).verify(disk: disk.path, plan: plan, options: options)
    }

    /// The cached pictures back beside the image (a picture the cached verification did not take is removed).
    private func placePictures(from context: StageContext) throws -> BuildSummary.Pictures? {
        var pictures = BuildSummary.Pictures()
        for name in [VerifyOptions.desktopPicture, VerifyOptions.terminalScreen] {
            let path = context.output.directory + "/" + name
            guard let picture = FileManager.default.contents(atPath: context.cache.picture(context.fingerprint, name)) else {
                try? FileManager.default.removeItem(atPath: path)
                continue
            }
            try AtomicFile.write(picture, to: path)
            if name == VerifyOptions.desktopPicture { pictures.desktop = path } else { pictures.terminal = path }
        }
        return pictures.desktop == nil && pictures.terminal == nil ? nil : pictures
    }

    private func outcome(_ report: VerificationReport, pictures: BuildSummary.Pictures?, _ context: StageContext) -> VerificationOutcome {
        VerificationOutcome(
            summary: .init(status: report.passed ? "passed" : "failed", summary: Self.oneLine(report), report: context.output.verification, pictures: pictures),
            firmware: context.target == .vm ? FirmwareBasis(claimed: context.recipe.firmware, report: report) : nil)
    }

    /// `n/m probes passed (name ok, …) in s s`.
    static func oneLine(_ report: VerificationReport) -> String {
        let passed = report.results.filter(\.passed).count
        return "\(passed)/\(report.results.count) probes passed (\(report.results.map { "\($0.probe) \($0.passed ? "ok" : "FAILED")" }.joined(separator: ", "))) in \(String(format: "%.0f", report.seconds)) s"
    }
}

/// A verification that ran and failed: the error, with what the verification found.
struct FailedVerification: Error, CustomStringConvertible {
    /// The failed verification (status `failed`, each firmware's boot).
    var outcome: VerificationOutcome
    /// What the image's summary says.
    var error: PipelineError

    var description: String { error.description }
}

extension VerifyStage {
    /// The failed probes for the build's error, each with the start of what it saw (a lab task's check that never
    /// fails names the task there), one line each.
    /// - Parameter report: A failed report.
    /// - Returns: `probe: detail` per failed probe, the detail cut at 240 characters.
    static func failures(_ report: VerificationReport) -> [String] {
        report.results.filter { !$0.passed }.map { result in
            let detail = result.detail.split(whereSeparator: \.isNewline).joined(separator: " ")
            return detail.isEmpty ? result.probe : "\(result.probe): \(detail.count > 240 ? detail.prefix(240) + "…" : detail)"
        }
    }
}
