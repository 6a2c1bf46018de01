// Boots a disk under QEMU with a fresh NoCloud seed, runs the plan's probes, always stops the VM, reports.
import DiskImage
import Foundation
import Hypervisor
import LabforgeRecipe
import Logging
import Reporting

/// Limits and machine size of a verification run.
public struct VerifyOptions: Sendable, Equatable {
    /// The desktop picture's file name in ``pictures``.
    public static let desktopPicture = "desktop.png"
    /// The terminal screen's file name in ``pictures``.
    public static let terminalScreen = "terminal.txt"
    /// Seconds for the whole run from qemu's start; every probe gives up by then (default 300, generous for TCG).
    public var deadline: Double
    /// Seconds each probe may take from qemu's start, within ``deadline``.
    public var probeTimeout: Double
    /// vCPUs (default 2).
    public var cpus: Int
    /// Memory in MiB (default 2048).
    public var memoryMiB: Int
    /// nil: the process's choice (``AcceleratorChoice``: KVM after a passed probe, else TCG).
    public var accelerator: Accelerator?
    /// File the serial console is appended to (the build log); nil keeps it only for failure messages.
    public var consoleLog: String?
    /// Directory the pictures go to (``VerificationReport/Pictures``: `desktop.png`, `terminal.txt`); nil: none taken.
    public var pictures: String? = nil
    /// The firmwares to boot under (``Firmware/standard`` by default). The first of UEFI Secure Boot, UEFI, BIOS
    /// among them gets every probe; each other one boots beside it at the lowest CPU priority until its first agent answers.
    public var firmware: [Firmware] = Firmware.standard
    /// The disk's architecture (``Architecture/amd64`` by default; the recipe's `architectures.first` for a built
    /// image). An emulated one (``isEmulated(_:)``) boots under TCG with its time limits scaled
    /// (``emulationSlowdown``), and only under the firmwares it has (``Architecture/bootableFirmware``).
    public var architecture: Architecture = .amd64
    /// Seconds a guest's own clean power-off may take after it decided to (the `idle-stop` probe's slack beyond the
    /// idle window and two of lab-idle's ticks); scaled like the limits above.
    public var powerOffSlack: Double = 60

    /// The factor the limits above are multiplied by on an architecture emulated under TCG. Measured on 2 cores: the
    /// bootstrapped arm64 base's guest agent answered 50 s after qemu started under AAVMF (96 s while other builds
    /// ran), amd64's under OVMF and TCG after 40 s; 3 leaves a loaded host (`make test`) the same room amd64 has.
    public static let emulationSlowdown: Double = 3

    /// Whether `architecture` runs emulated: labforge's hosts are amd64, so any other architecture runs under TCG.
    /// - Parameter architecture: The VM's architecture.
    /// - Returns: True for arm64.
    public static func isEmulated(_ architecture: Architecture) -> Bool { architecture != .amd64 }

    /// These options with ``deadline``, ``probeTimeout`` and ``powerOffSlack`` scaled by ``emulationSlowdown`` for an emulated
    /// ``architecture``; unchanged for amd64.
    public var scaledForArchitecture: VerifyOptions {
        guard Self.isEmulated(architecture) else { return self }
        var scaled = self
        scaled.deadline = deadline * Self.emulationSlowdown
        scaled.probeTimeout = probeTimeout * Self.emulationSlowdown
        scaled.powerOffSlack = powerOffSlack * Self.emulationSlowdown
        return scaled
    }

    /// Creates options.
    /// - Parameters:
    ///   - deadline: Overall seconds from qemu's start.
    ///   - probeTimeout: Seconds per probe from qemu's start (capped by `deadline`).
    ///   - cpus: vCPUs.
    ///   - memoryMiB: Memory in MiB.
    ///   - accelerator: Fixed accelerator, or nil for the process's choice.
    ///   - consoleLog: Where to append the serial console.
    public init(
        deadline: Double = 300, probeTimeout: Double? = nil, cpus: Int = 2, memoryMiB: Int = 2048, accelerator: Accelerator? = nil,
        consoleLog: String? = nil
    ) {
        self.deadline = deadline
        self.probeTimeout = min(probeTimeout ?? deadline, deadline)
        self.cpus = cpus
        self.memoryMiB = memoryMiB
        self.accelerator = accelerator
        self.consoleLog = consoleLog
    }
}

/// Runs `labforge verify`: the disk is never written (qemu writes a throwaway overlay).
public struct Verifier: Sendable {
    /// vCPUs of the shorter boots beside the main one (`LABFORGE_VERIFY_BACKGROUND_CPUS`, default 2: at nice 19
    /// they take what the main boot leaves, and both cores once it waits on its probes).
    static let backgroundCPUs = ProcessInfo.processInfo.environment["LABFORGE_VERIFY_BACKGROUND_CPUS"].flatMap(Int.init).map { max(1, $0) } ?? 2

    private let logger: Logger
    private let progress: any ProgressReporter

    /// Creates a verifier.
    /// - Parameters:
    ///   - logger: Receives the accelerator line and probe retries (debug).
    ///   - progress: Receives one event per finished probe.
    public init(logger: Logger = Logger(label: "labforge.verify"), progress: any ProgressReporter = SilentProgress()) {
        self.logger = logger
        self.progress = progress
    }

    /// Boots `disk`, probes it and stops it.
    /// - Parameters:
    ///   - disk: A qcow2 or raw disk.
    ///   - plan: The lab user and the probes.
    ///   - options: Limits and machine size.
    /// - Returns: The report, passed or not (the caller decides whether a failure is fatal).
    /// - Throws: ``VerifyError`` when the run itself cannot happen (unreadable disk, a disk of another architecture or
    ///   without BIOS boot code where BIOS is asked for, missing tools, qemu not starting).
    public func verify(disk: String, plan: ProbePlan, options: VerifyOptions = VerifyOptions()) async throws -> VerificationReport {
        let started = Date()
        let options = options.scaledForArchitecture
        for firmware in options.firmware where !options.architecture.bootableFirmware.contains(firmware) {
            throw VerifyError.firmwareUnavailable(firmware: firmware, architecture: options.architecture)
        }
        // The same content checks as `package` (name vs. header, sector multiple, not blank) before booting anything;
        // a disk that cannot boot as asked fails now, not after the whole limit (an arm64 disk under OVMF or SeaBIOS).
        let facts = try await DiskBootFacts.read(disk)
        try facts.check(disk: disk, architecture: options.architecture, firmware: options.firmware)
        let info = facts.image
        let absoluteDisk = URL(fileURLWithPath: disk).standardizedFileURL.path
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("labforge-verify-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        Interruption.register(directory)
        defer {
            try? FileManager.default.removeItem(atPath: directory)
            Interruption.unregister(directory)
        }
        let seed = try await NoCloudSeed.create(userName: plan.userName, in: directory)
        // Credentials the way the cluster hands them over: a disk with serial labcreds (never on a command line).
        var credentials: TestCredentials?
        if plan.needsBootCredentials {
            let generated = TestCredentials.generate(user: plan.userName)
            try generated.writeDisk(to: directory + "/credentials.iso")
            credentials = generated
        }
        // Pictures of an earlier run must not pass for this one's.
        if let directory = options.pictures {
            for name in [VerifyOptions.desktopPicture, VerifyOptions.terminalScreen] { try? FileManager.default.removeItem(atPath: directory + "/" + name) }
        }
        guard let primary = Firmware.primary(of: options.firmware) else { throw VerifyError.noFirmware }
        var boot = FirmwareBootRun(
            disk: absoluteDisk, diskFormat: info.format, seed: seed, credentials: credentials,
            credentialsDisk: credentials == nil ? nil : directory + "/credentials.iso", options: options, subject: disk, progress: progress, logger: logger)
        let provesHome = plan.targets.contains(.homeReset)
        if provesHome {
            boot.homeDisk = try await Self.createHomeDisk(in: directory)
            boot.homeMarks = HomeResetMarks.random(user: plan.userName)
        }
        // The primary boot runs every probe; each other firmware boots beside it (nice 19) up to its first agent.
        let order = [primary] + options.firmware.filter { $0 != primary }
        let boots = try await withThrowingTaskGroup(of: (Int, FirmwareBootRun.Outcome).self) { group in
            for (index, firmware) in order.enumerated() {
                group.addTask { [boot] in
                    let isPrimary = index == 0
                    let outcome = try await boot.run(
                        firmware, plan: isPrimary ? FirmwareBootRun.fullPlan(plan, under: firmware) : FirmwareBootRun.firstAgentPlan(plan, under: firmware),
                        cpus: isPrimary ? options.cpus : Self.backgroundCPUs, in: directory + "/" + firmware.rawValue, isPrimary: isPrimary,
                        home: isPrimary && provesHome ? .write : nil)
                    return (index, outcome)
                }
            }
            var outcomes: [(Int, FirmwareBootRun.Outcome)] = []
            for try await outcome in group { outcomes.append(outcome) }
            return outcomes.sorted { $0.0 < $1.0 }.map(\.1)
        }
        try Task.checkCancellation()
        // home-reset's second half: a reset (a fresh overlay over the same system disk) with the same home disk.
        var reset: FirmwareBootRun.Outcome?
        if provesHome, boots[0].results.contains(where: { $0.probe == ProbeTarget.homeReset.name && $0.passed }) {
            let resetPlan = ProbePlan(userName: plan.userName, targets: [.guestAgent, .homeReset], access: plan.access)
            reset = try await boot.run(primary, plan: resetPlan, cpus: options.cpus, in: directory + "/reset", isPrimary: false, home: .check)
            try Task.checkCancellation()
        }
        var consoleLog: String?
        if let destination = options.consoleLog {
            for boot in boots { appendConsole(boot.console, disk: "\(disk) under \(boot.record.firmware.displayName)", to: destination) }
            if let reset { appendConsole(reset.console, disk: "\(disk) under \(primary.displayName) after a reset", to: destination) }
            consoleLog = destination
        }
        var results = boots.flatMap { boot in
            boot.results.map { result in
                var named = result
                if boot.record.firmware != primary { named.probe = "\(result.probe) (\(boot.record.firmware.rawValue))" }
                return named
            }
        }
        if let reset { results = Self.merge(reset: reset.results, into: results) }
        let passed = boots.allSatisfy(\.record.passed) && reset?.record.passed != false
        let failedBoot = boots.first { !$0.record.passed } ?? reset.flatMap { $0.record.passed ? nil : $0 }
        let stops = boots.map { "\($0.record.firmware.rawValue): \($0.stoppedBy)" } + (reset.map { ["reset: \($0.stoppedBy)"] } ?? [])
        var report = VerificationReport(
            disk: disk, accelerator: boots[0].accelerator.rawValue, results: results, passed: passed,
            seconds: Date().timeIntervalSince(started), stoppedBy: stops.joined(separator: ", "),
            consoleLog: consoleLog, consoleTail: failedBoot?.consoleTail ?? "", finishedAt: ISO8601DateFormatter().string(from: Date()))
        report.firmware = boots.map(\.record)
        report.resetBoot = reset?.record
        if let directory = options.pictures {
            let existing = { (name: String) -> String? in
                let path = directory + "/" + name
                return FileManager.default.fileExists(atPath: path) ? path : nil
            }
            let taken = VerificationReport.Pictures(desktop: existing(VerifyOptions.desktopPicture), terminal: existing(VerifyOptions.terminalScreen))
            if taken.desktop != nil || taken.terminal != nil { report.pictures = taken }
        }
        return report
    }

    /// The home disk of the `home-reset` probe: a blank 2 GiB qcow2 in the run's directory (lab-home formats it at
    /// the first boot, as it does a student's blank DataVolume).
    static func createHomeDisk(in directory: String) async throws -> String {
        let path = directory + "/home.qcow2"
        let output = try await HostCommand.run(["qemu-img", "create", "-q", "-f", "qcow2", path, "2G"], timeout: 60, package: "qemu-utils")
        guard output.status == 0 else {
            throw VerifyError.toolFailed(command: "qemu-img create -f qcow2 \(path) 2G", status: output.status, message: output.stderr)
        }
        return path
    }

    /// The primary boot's results with the reset boot's: its `home-reset` (the proof's second half) in place of the
    /// primary's first half, its other probes named `… (reset)`.
    static func merge(reset: [ProbeResult], into results: [ProbeResult]) -> [ProbeResult] {
        var merged = results
        for result in reset {
            if result.probe == ProbeTarget.homeReset.name, let index = merged.firstIndex(where: { $0.probe == result.probe }) {
                merged[index] = result
            } else {
                var named = result
                named.probe = "\(result.probe) (reset)"
                merged.append(named)
            }
        }
        return merged
    }

    private func appendConsole(_ text: String, disk: String, to path: String) {
        let header = "\n===== labforge verify \(disk): serial console (\(ISO8601DateFormatter().string(from: Date()))) =====\n"
        let data = Data((header + text).utf8)
        if !FileManager.default.fileExists(atPath: path), !FileManager.default.createFile(atPath: path, contents: nil) {
            logger.warning("cannot create \(path) for the serial console")
            return
        }
        guard let handle = FileHandle(forWritingAtPath: path) else {
            logger.warning("cannot append the serial console to \(path)")
            return
        }
        defer { try? handle.close() }
        _ = try? handle.seekToEnd()
        try? handle.write(contentsOf: data)
    }
}
