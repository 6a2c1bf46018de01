// The outcome of `labforge verify`: one row per probe, with time to success, and one boot per firmware, as a table or JSON.
import AtomicFile
import Foundation
import LabforgeRecipe

/// How one probe ended.
public struct ProbeResult: Sendable, Codable, Equatable {
    /// The probe's name (`web-terminal`, `web-desktop`, `desktop-session`, `desktop-resize`, `clipboard` or
    /// `clipboard-off`, `file-transfer`, `ssh`, `cloud-init`, `guest-agent`, `secure-boot`, `lab-tasks`, `home-reset`,
    /// `idle-stop`; the reset boot's `guest-agent (reset)`; a pod image's `sigterm`, `fail-closed`).
    public var probe: String
    /// Whether it succeeded before its timeout.
    public var passed: Bool
    /// Seconds from qemu's start to success (or to giving up).
    public var seconds: Double
    /// Attempts made.
    public var attempts: Int
    /// What it saw: the success detail, or the last failure.
    public var detail: String
    /// The authentication the agent was proven to ask for (web terminal and desktop), e.g. `basic (boot credential)`.
    public var auth: String?

    /// Creates a result.
    /// - Parameters:
    ///   - probe: The probe's name.
    ///   - passed: Whether it succeeded.
    ///   - seconds: Seconds from qemu's start.
    ///   - attempts: Attempts made.
    ///   - detail: What it saw.
    ///   - auth: The agent's authentication, for agent probes.
    public init(probe: String, passed: Bool, seconds: Double, attempts: Int, detail: String, auth: String? = nil) {
        self.probe = probe
        self.passed = passed
        self.seconds = seconds
        self.attempts = attempts
        self.detail = detail
        self.auth = auth
    }
}

/// Everything a verification run found; the build stores it so the catalog can show "verified".
public struct VerificationReport: Sendable, Codable, Equatable {
    /// The disk under test.
    public var disk: String
    /// `kvm` or `tcg`.
    public var accelerator: String
    /// One result per probe, in plan order.
    public var results: [ProbeResult]
    /// True when every probe passed.
    public var passed: Bool
    /// Wall time of the whole run (overlay, seed, boot, probes, shutdown).
    public var seconds: Double
    /// How the VM was stopped: `powerdown`, `quit`, `kill`, `already exited`.
    public var stoppedBy: String
    /// Where the serial console was saved, if it was.
    public var consoleLog: String?
    /// The last serial console lines (kept for failure messages).
    public var consoleTail: String
    /// When the run finished (ISO 8601).
    public var finishedAt: String
    /// What the students will see, taken during the run (nil: no pictures asked for, or none could be taken).
    public var pictures: Pictures? = nil
    /// One boot per firmware the image was verified under, the primary one (every probe) first; nil in a report
    /// of a container image, or one written before firmware was verified.
    public var firmware: [FirmwareBoot]? = nil
    /// The boot after the primary one that proves `home-reset`: the same firmware, a fresh overlay over the same
    /// system disk (a reset), the same home disk; nil when the plan has no `home-reset` or its first half failed.
    public var resetBoot: FirmwareBoot? = nil
    /// The revision of labforge's proofs that wrote the report (``proofRevision`` for a new one; nil when read from a
    /// report written before revisions were kept).
    public var proofs: Int? = VerificationReport.proofRevision

    /// The revision of the proofs, raised when a proof asks for more than before, so that a cached verification by
    /// the weaker proof is run again rather than reused. 3: `desktop-session` waits for the panel's plugins and a
    /// settled screen with the panel idle (a pass by an earlier revision could picture an empty panel; 2 asked for
    /// the plugins and two equal screens only, which was not enough).
    public static let proofRevision = 3

    /// One boot of the disk under one firmware.
    public struct FirmwareBoot: Sendable, Codable, Equatable {
        /// The firmware qemu started.
        public var firmware: Firmware
        /// Whether the disk booted and every probe of this boot passed.
        public var passed: Bool
        /// Whether the firmware started the kernel (its banner reached the serial console).
        public var kernelStarted: Bool
        /// The probes run in this boot (the primary boot runs the whole plan; the others the first agent).
        public var probes: [String]
        /// Whether Secure Boot was on, as the guest read its `SecureBoot` EFI variable (nil: not read, e.g. BIOS).
        public var secureBoot: Bool?
        /// Seconds from qemu's start to the end of this boot's probes.
        public var seconds: Double
        /// One line on why the boot failed (the firmware, what it printed last; or the probes that failed); nil when it passed.
        public var failure: String?

        /// Whether the boot itself failed — no kernel, or Secure Boot not on where it was asked for — rather than a probe.
        public var bootFailed: Bool { !passed && (!kernelStarted || (firmware == .uefiSecureBoot && secureBoot != true)) }

        /// Creates a record.
        public init(
            firmware: Firmware, passed: Bool, kernelStarted: Bool, probes: [String], secureBoot: Bool? = nil, seconds: Double, failure: String? = nil
        ) {
            self.firmware = firmware
            self.passed = passed
            self.kernelStarted = kernelStarted
            self.probes = probes
            self.secureBoot = secureBoot
            self.seconds = seconds
            self.failure = failure
        }
    }

    /// One line per boot that failed as a boot (the firmware refused the disk, no kernel, Secure Boot off): what
    /// a failed verification leads with, since no probe could pass behind it.
    public var bootFailures: [String] { ((firmware ?? []) + (resetBoot.map { [$0] } ?? [])).filter(\.bootFailed).compactMap(\.failure) }

    /// The firmwares the disk booted under with every probe of that boot passing, in report order.
    public var verifiedFirmware: [Firmware] { (firmware ?? []).filter(\.passed).map(\.firmware) }

    /// Pictures of the agents, as files beside the report.
    public struct Pictures: Sendable, Codable, Equatable {
        /// A PNG of the desktop (one RFB framebuffer update through websockify).
        public var desktop: String?
        /// The terminal's first screen as text.
        public var terminal: String?

        /// Creates a record.
        public init(desktop: String? = nil, terminal: String? = nil) {
            self.desktop = desktop
            self.terminal = terminal
        }
    }

    /// Names of the probes that failed.
    public var failedProbes: [String] { results.filter { !$0.passed }.map(\.probe) }

    /// Whether every probe of `plan` passed in this report, by the current proofs. A cached report is kept by the
    /// image's fingerprint, which names neither the probes nor how they prove: one written before the plan gained a
    /// probe (the desktop proofs), or by an earlier ``proofRevision``, does not cover the plan, and the image is
    /// verified again.
    /// - Parameter plan: The probes the verification runs now (for a pod image, ``ImageVerifier/containerTargets(_:)``).
    /// - Returns: True when the report is of the current revision and each of the plan's probes has a passed result.
    public func covers(_ plan: ProbePlan) -> Bool {
        let passed = Set(results.filter(\.passed).map(\.probe))
        return proofs == Self.proofRevision && plan.targets.allSatisfy { passed.contains($0.name) }
    }

    /// A fixed-width table for people.
    public var table: String {
        let rows = results.map { result in
            [result.probe, result.passed ? "ok" : "FAILED", String(format: "%.1f s", result.seconds), String(result.attempts), result.auth ?? "-", result.detail]
        }
        let header = ["probe", "result", "time", "tries", "auth", "detail"]
        var widths = header.map(\.count)
        for row in rows { for (index, cell) in row.enumerated() where index < 5 { widths[index] = max(widths[index], cell.count) } }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                index < 5 ? cell.padding(toLength: widths[index], withPad: " ", startingAt: 0) : cell
            }.joined(separator: "  ")
        }
        var lines = [line(header)] + rows.map(line)
        for boot in firmware ?? [] {
            let secure = boot.secureBoot.map { $0 ? ", Secure Boot on (read in the guest)" : ", Secure Boot off" } ?? ""
            let outcome = boot.passed ? "booted, \(boot.probes.joined(separator: ", ")) passed\(secure)" : (boot.failure ?? "failed")
            lines.append("firmware \(boot.firmware.rawValue): \(outcome) (\(String(format: "%.1f", boot.seconds)) s)")
        }
        if let boot = resetBoot {
            let outcome = boot.passed ? "booted, \(boot.probes.joined(separator: ", ")) passed" : (boot.failure ?? "failed")
            lines.append("reset boot (\(boot.firmware.rawValue), fresh system disk, same home disk): \(outcome) (\(String(format: "%.1f", boot.seconds)) s)")
        }
        let verdict = passed ? "verified" : "NOT verified (failed: \(failedProbes.joined(separator: ", ")))"
        let under = firmware.map { " (\($0.map(\.firmware.displayName).joined(separator: ", ")))" } ?? ""
        lines.append("\(disk): \(verdict) under \(accelerator.uppercased())\(under) in \(String(format: "%.1f", seconds)) s; VM stopped by \(stoppedBy)")
        if let consoleLog { lines.append("serial console: \(consoleLog)") }
        return lines.joined(separator: "\n")
    }

    /// The report as JSON (sorted keys).
    /// - Returns: UTF-8 JSON.
    /// - Throws: Encoding errors (none expected).
    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    /// Writes the JSON report to `path` through ``AtomicFile`` (what `labforge build` keeps beside the image).
    /// - Parameter path: Destination, e.g. `images/<name>/<version>/verify.json`.
    /// - Throws: ``AtomicFileError`` naming `path`.
    public func write(to path: String) throws {
        try AtomicFile.write(try json(), to: path)
    }
}
