// One verification boot under one firmware: start qemu, watch the console for a boot that fails, run the probes, stop.
import Foundation
import Hypervisor
import LabforgeRecipe
import Logging
import Reporting
import Synchronization

/// Boots the disk under one firmware and probes it; the ``Verifier`` runs one per claimed firmware, side by side.
struct FirmwareBootRun: Sendable {
    let disk: String
    let diskFormat: String
    let seed: NoCloudSeed
    let credentials: TestCredentials?
    let credentialsDisk: String?
    let options: VerifyOptions
    let subject: String
    let progress: any ProgressReporter
    let logger: Logger
    /// The home disk (qcow2) of the `home-reset` probe, attached to the boots that run it.
    var homeDisk: String? = nil
    /// The marks that probe writes and checks.
    var homeMarks: HomeResetMarks? = nil

    /// What one boot found.
    struct Outcome: Sendable {
        /// The report's record of this boot.
        var record: VerificationReport.FirmwareBoot
        /// Its probes' results.
        var results: [ProbeResult]
        /// The whole serial console.
        var console: String
        /// Its last lines (for a failure message).
        var consoleTail: String
        /// The accelerator it ran under.
        var accelerator: Accelerator
        /// How the VM was stopped.
        var stoppedBy: String
    }

    /// The whole plan, plus the `secure-boot` probe on a UEFI boot with a guest agent to read the variable with.
    static func fullPlan(_ plan: ProbePlan, under firmware: Firmware) -> ProbePlan {
        var plan = plan
        if firmware != .bios, plan.targets.contains(.guestAgent), !plan.targets.contains(.secureBoot) { plan.targets.append(.secureBoot) }
        return plan
    }

    /// The shorter boot of the other firmwares: up to the first agent a student uses (the web terminal, else the
    /// desktop, else the guest agent), plus `secure-boot` under UEFI.
    static func firstAgentPlan(_ plan: ProbePlan, under firmware: Firmware) -> ProbePlan {
        var short = plan
        let agent = plan.targets.first { if case .webTerminal = $0 { return true } else { return false } }
            ?? plan.targets.first { if case .webDesktop = $0 { return true } else { return false } }
            ?? plan.targets.first { $0 == .guestAgent } ?? plan.targets.first
        short.targets = agent.map { [$0] } ?? []
        if firmware != .bios, plan.targets.contains(.guestAgent) { short.targets.append(.secureBoot) }
        return short
    }

    /// Boots, probes and stops; a TCG boot whose kernel panicked is booted once more.
    /// - Parameters:
    ///   - firmware: The firmware to start.
    ///   - plan: The probes of this boot.
    ///   - cpus: vCPUs.
    ///   - directory: A fresh directory for the overlay, NVRAM, sockets and console.
    ///   - isPrimary: Whether this is the boot with every probe: it writes the pictures and powers the guest off
    ///     cleanly; the shorter boots run at the lowest CPU priority (they take what the main boot leaves) and are
    ///     ended at once (their overlay is thrown away).
    ///   - home: Which half of `home-reset` this boot runs, with ``homeDisk`` attached; nil: no home disk.
    /// - Returns: What it found.
    /// - Throws: ``VerifyError`` when qemu cannot start at all.
    func run(_ firmware: Firmware, plan: ProbePlan, cpus: Int, in directory: String, isPrimary: Bool, home: HomeResetProof.Phase? = nil) async throws -> Outcome {
        let outcome = try await boot(firmware, plan: plan, cpus: cpus, in: directory, isPrimary: isPrimary, home: home)
        // TCG's multi-threaded emulation has races the kernel's live code patching can hit (seen here: "Oops: int3"
        // in sched_clock_cpu, then a panic, once in dozens of boots). Such a boot gets one more try under TCG; a
        // second panic, or any panic under KVM, fails the verification.
        guard outcome.accelerator == .tcg, !outcome.record.passed, outcome.record.kernelStarted, BootWatch.kernelPanicked(outcome.console) else {
            return outcome
        }
        logger.warning("the kernel panicked under \(BootWatch.firmwareName(firmware, architecture: options.architecture)) (TCG); booting once more: \(outcome.record.failure ?? "")")
        return try await boot(firmware, plan: plan, cpus: cpus, in: directory, isPrimary: isPrimary, home: home)
    }

    /// One boot: start qemu, watch the console, probe, stop.
    private func boot(_ firmware: Firmware, plan: ProbePlan, cpus: Int, in directory: String, isPrimary: Bool, home: HomeResetProof.Phase?) async throws -> Outcome {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let (logger, options, disk, diskFormat, seed, credentialsDisk) = (self.logger, self.options, self.disk, self.diskFormat, self.seed, self.credentialsDisk)
        let homeDisk = home == nil ? nil : self.homeDisk
        // Booting waits (KVM probe, kernel output): on its own thread, never on the cooperative pool.
        let machine = try await DedicatedThread.run(name: "labforge.verify.boot") {
            try QemuGuest.boot(
                disk: disk, diskFormat: diskFormat, seed: seed.isoPath, credentialsDisk: credentialsDisk, homeDisk: homeDisk, guestPorts: plan.forwardedGuestPorts,
                in: directory, cpus: cpus, memoryMiB: options.memoryMiB, accelerator: options.accelerator, firmware: firmware,
                background: !isPrimary && home == nil, architecture: options.architecture, logger: logger)
        }
        let started = Date()
        // A firmware that refuses the disk prints why and then waits or loops: stop the VM at once, so the failure
        // reads as the firmware's line, not as probes that timed out.
        let refusal = Mutex<String?>(nil)
        let watcher = Task.detached {
            while !Task.isCancelled, machine.isRunning {
                if let line = BootWatch.failure(in: machine.consoleText) {
                    refusal.withLock { $0 = line }
                    _ = try? await DedicatedThread.run(name: "labforge.verify.stop") { machine.stop(grace: 0) }
                    return
                }
                try? await Task.sleep(for: .seconds(1))
            }
        }
        var probeOptions = options
        if !isPrimary { probeOptions.pictures = nil }
        let results = await ProbeRun(
            machine: machine, seed: seed, credentials: credentials, plan: plan, options: probeOptions, bootStarted: started,
            subject: "\(subject) [\(firmware.rawValue)]", progress: progress, logger: logger, firmware: firmware,
            homeMarks: home == nil ? nil : homeMarks, homePhase: home ?? .write
        ).run()
        watcher.cancel()
        _ = await watcher.value
        let seconds = Date().timeIntervalSince(started)
        // Stopping waits (ACPI power-off, QMP): on its own thread too, and it must happen even when cancelled.
        let grace: Double = Task.isCancelled || !isPrimary ? 0 : 20
        // A passed idle-stop proof ended with the guest's own power-off: qemu has exited already.
        let poweredOff = !machine.isRunning && results.contains { $0.probe == ProbeTarget.idleStop.name && $0.passed }
        let stopped = (try? await DedicatedThread.run(name: "labforge.verify.stop") { machine.stop(grace: grace) }) ?? "kill"
        let stoppedBy = poweredOff ? "guest power-off (idle-stop)" : stopped
        let console = machine.consoleText
        let offending = refusal.withLock { $0 } ?? BootWatch.failure(in: console)
        let secureBoot = Self.secureBoot(results: results, console: console, firmware: firmware)
        let kernelStarted = BootWatch.kernelStarted(console)
        var passed = offending == nil && kernelStarted && results.allSatisfy(\.passed)
        var failure: String?
        let firmwareName = BootWatch.firmwareName(firmware, architecture: options.architecture)
        if offending != nil || !kernelStarted {
            failure = BootWatch.message(firmware: firmware, console: console, offending: offending, architecture: options.architecture)
        } else if firmware == .uefiSecureBoot, secureBoot != true {
            passed = false
            failure = "booted under \(firmware.displayName), but the guest does not report Secure Boot on"
                + (secureBoot == false ? " (it says off)" : " (it could not be read)")
        } else if !passed {
            failure = "booted under \(firmwareName); failed: \(results.filter { !$0.passed }.map(\.probe).joined(separator: ", "))"
        }
        let record = VerificationReport.FirmwareBoot(
            firmware: firmware, passed: passed, kernelStarted: kernelStarted, probes: plan.targets.map(\.name), secureBoot: secureBoot,
            seconds: seconds, failure: failure)
        return Outcome(
            record: record, results: results, console: console, consoleTail: machine.consoleTail(lines: 25),
            accelerator: machine.invocation.accelerator, stoppedBy: stoppedBy)
    }

    /// Whether Secure Boot was on: the guest's own reading of the EFI variable (the `secure-boot` probe), else the
    /// kernel's line about it on the console; nil under BIOS or when neither said.
    static func secureBoot(results: [ProbeResult], console: String, firmware: Firmware) -> Bool? {
        guard firmware != .bios else { return nil }
        if let probe = results.first(where: { $0.probe == ProbeTarget.secureBoot.name }) {
            if probe.passed { return firmware == .uefiSecureBoot }
            if probe.detail.contains("says Secure Boot is on") { return true }
            if probe.detail.contains("says Secure Boot is off") { return false }
        }
        if console.contains("secureboot: Secure boot enabled") { return true }
        if console.contains("secureboot: Secure boot disabled") { return false }
        return nil
    }
}
