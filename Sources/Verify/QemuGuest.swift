// One verification boot: qemu on a throwaway overlay, with KVM→TCG fallback and guaranteed shutdown.
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Hypervisor
import LabforgeRecipe
import Logging
import ProcessRunner

/// A verification guest: qemu-system running a disk under test, and its control sockets. (Not a KubeVirt
/// `VirtualMachine`, which `Kube` writes manifests for.) qemu is a ``LongLivedChild``: its own process group,
/// killed on interrupt, and killed with labforge should labforge crash.
public final class QemuGuest: Sendable {
    /// The command line it runs.
    public let invocation: QemuInvocation
    /// Host port on 127.0.0.1 for each forwarded guest port.
    public let hostPorts: [Int: Int]
    private let qemu: LongLivedChild

    /// Whether qemu is still running.
    public var isRunning: Bool { qemu.isRunning }
    /// qemu's PID.
    public var pid: Int32 { qemu.pid }

    private init(invocation: QemuInvocation, qemu: LongLivedChild) {
        self.invocation = invocation
        self.qemu = qemu
        var ports: [Int: Int] = [:]
        for forward in invocation.forwards { ports[forward.guest] = forward.host }
        self.hostPorts = ports
    }

    /// Boots `disk` through a fresh overlay in `directory` under the process's accelerator. A KVM boot must show
    /// kernel output on the serial console within ``Accelerator/kernelOutputTimeout``; one that aborts or stays
    /// silent is stopped and booted again under TCG (and the rest of the process uses TCG).
    /// - Parameters:
    ///   - disk: The disk under test (qcow2 or raw); only read.
    ///   - diskFormat: Its format.
    ///   - seed: The NoCloud seed volume.
    ///   - credentialsDisk: The credentials volume, attached with serial `labcreds`, if any.
    ///   - homeDisk: A home disk (qcow2) attached with serial `lab-home` and written in place, if any.
    ///   - guestPorts: Guest TCP ports to forward from free 127.0.0.1 ports.
    ///   - directory: Private scratch directory for the overlay, sockets and console.
    ///   - cpus: vCPUs.
    ///   - memoryMiB: Memory.
    ///   - accelerator: nil for the process's choice (``AcceleratorChoice``), or a fixed accelerator (no fallback).
    ///   - firmware: The firmware to start; UEFI boots get a fresh copy of OVMF's NVRAM template each time.
    ///   - background: Run qemu at the lowest CPU priority (`nice -n 19`): a shorter boot beside the main one then
    ///     takes the CPU the main one leaves, instead of slowing it.
    ///   - architecture: The disk's architecture. A foreign one (arm64 on labforge's amd64 hosts) always runs under
    ///     TCG (`qemu-system-aarch64`, `virt`, AAVMF), whatever `accelerator` says.
    ///   - logger: Receives the one line saying which accelerator runs.
    /// - Returns: The running machine.
    /// - Throws: ``VerifyError``, or a `HypervisorError` when KVM was required but failed.
    public static func boot(
        disk: String, diskFormat: String, seed: String, credentialsDisk: String? = nil, homeDisk: String? = nil, guestPorts: [Int], in directory: String, cpus: Int,
        memoryMiB: Int, accelerator: Accelerator?, firmware: Firmware = .bios, background: Bool = false, architecture: Architecture = .amd64,
        logger: Logger
    ) throws -> QemuGuest {
        let firmwareFiles = try FirmwareFiles.of(firmware, architecture: architecture)
        // KVM runs the host's architecture only: another one is emulated (the process's KVM decision is not asked).
        let chosen = VerifyOptions.isEmulated(architecture) ? .tcg : try accelerator ?? AcceleratorChoice.shared.decide(logger: logger).accelerator
        var candidates: [Accelerator] = chosen == .kvm && accelerator == nil ? [.kvm, .tcg] : [chosen]
        var portAttempts = 0
        while let current = candidates.first {
            let overlay = directory + "/overlay.qcow2"
            try? FileManager.default.removeItem(atPath: overlay)
            try? FileManager.default.removeItem(atPath: directory + "/console.log")
            try createOverlay(overlay, backing: disk, format: diskFormat)
            // Fresh NVRAM for every boot, as KubeVirt starts a VM without persistent EFI state: no boot entries.
            let variables = directory + "/nvram.fd"
            if let firmwareFiles {
                try? FileManager.default.removeItem(atPath: variables)
                do { try FileManager.default.copyItem(atPath: firmwareFiles.variablesTemplate, toPath: variables) } catch {
                    throw VerifyError.toolFailed(command: "copy \(firmwareFiles.variablesTemplate) to \(variables)", status: 1, message: "\(error)")
                }
            }
            let ports = try LoopbackPorts.free(guestPorts.count)
            var invocation = QemuInvocation(
                overlayPath: overlay, seedPath: seed, credentialsPath: credentialsDisk, consolePath: directory + "/console.log",
                qmpSocketPath: directory + "/qmp.sock", guestAgentSocketPath: directory + "/qga.sock",
                pidFilePath: directory + "/qemu.pid", forwards: zip(ports, guestPorts).map { (host: $0, guest: $1) },
                cpus: cpus, memoryMiB: memoryMiB, accelerator: current,
                firmware: firmware, firmwareFiles: firmwareFiles, variablesPath: firmwareFiles == nil ? nil : variables, background: background,
                architecture: architecture)
            invocation.homeDiskPath = homeDisk
            let machine = try launch(invocation)
            let started = machine.waitUntilStarted(under: current)
            if started == .running {
                logger.info("booting \(disk) under \(current.displayName), \(BootWatch.firmwareName(firmware, architecture: architecture))")
                return machine
            }
            let message = machine.stderrText
            if started == .exited, message.contains("host forwarding rule"), portAttempts < 3 {
                portAttempts += 1  // another program took a port between our check and qemu's bind
                continue
            }
            if current == .kvm, candidates.count > 1 {
                // Any early exit or silence under KVM is retried under TCG; a broken disk fails there too, with its own message.
                let reason: String
                if started == .silent {
                    machine.stop(grace: 0)
                    reason = "the verification guest printed nothing on its console under KVM within \(Int(current.kernelOutputTimeout)) s"
                } else {
                    let lines = message.split(separator: "\n").map(String.init)
                    reason = "qemu failed under KVM (" + (lines.first { Accelerator.isKVMFailure($0) } ?? lines.first ?? "exited with status \(machine.exitStatus)") + ")"
                }
                try AcceleratorChoice.shared.kvmFailed(reason, logger: logger)
                candidates.removeFirst()
                continue
            }
            if started == .silent {
                machine.stop(grace: 0)
                throw HypervisorError.kvmRequiredButUnusable(reason: "the verification guest printed nothing on its console within \(Int(current.kernelOutputTimeout)) s")
            }
            throw VerifyError.qemuFailed(
                accelerator: current.rawValue, message: message.isEmpty ? "exited with status \(machine.exitStatus)" : message,
                consoleTail: machine.consoleTail(lines: 20))
        }
        throw VerifyError.qemuFailed(accelerator: "none", message: "no accelerator left to try", consoleTail: "")
    }

    /// How the first seconds of a boot went.
    enum StartOutcome {
        /// qemu runs (and, under KVM, the guest kernel printed).
        case running
        /// qemu exited.
        case exited
        /// qemu runs but the guest printed nothing within the accelerator's limit (a hung KVM).
        case silent
    }

    /// Waits until the boot shows it is alive: under KVM the kernel's first console lines (a KVM that hangs after
    /// the BIOS never prints them), under TCG qemu still running after 1.5 s.
    func waitUntilStarted(under accelerator: Accelerator) -> StartOutcome {
        guard accelerator == .kvm else { return waitForExit(seconds: 1.5) ? .exited : .running }
        let deadline = Date().addingTimeInterval(accelerator.kernelOutputTimeout)
        while Date() < deadline {
            if waitForExit(seconds: 0.25) { return .exited }
            let console = consoleText
            if ["Linux version", "login:", "systemd[1]", "cloud-init"].contains(where: console.contains) { return .running }
        }
        return .silent
    }

    private static func createOverlay(_ overlay: String, backing: String, format: String) throws {
        let output = try HostCommand.runBlocking(
            ["qemu-img", "create", "-q", "-f", "qcow2", "-b", backing, "-F", format, overlay], input: nil, timeout: 60,
            package: "qemu-utils")
        guard output.status == 0 else {
            throw VerifyError.toolFailed(command: "qemu-img create -b \(backing) \(overlay)", status: output.status, message: output.stderr)
        }
    }

    /// Starts qemu through the one launcher of long-lived children, its standard error kept in memory.
    private static func launch(_ invocation: QemuInvocation) throws -> QemuGuest {
        let qemu: LongLivedChild
        do {
            qemu = try LongLivedChild.launch(invocation.commandLine, error: .capture, name: "qemu")
        } catch ChildProcessError.programMissing {
            throw VerifyError.toolMissing(tool: invocation.commandLine[0], package: QemuInvocation.package(for: invocation.architecture))
        } catch {
            throw VerifyError.toolFailed(command: invocation.commandLine[0], status: 1, message: "\(error)")
        }
        return QemuGuest(invocation: invocation, qemu: qemu)
    }

    /// Waits up to `seconds` for qemu to exit.
    /// - Returns: True when it has exited.
    func waitForExit(seconds: Double) -> Bool {
        qemu.waitForExit(seconds: seconds)
    }

    /// qemu's exit status (0 while it runs).
    var exitStatus: Int32 { qemu.exitStatus ?? 0 }

    /// What qemu printed on stderr.
    public var stderrText: String {
        qemu.capturedError.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The serial console so far.
    public var consoleText: String {
        guard let data = FileManager.default.contents(atPath: invocation.consolePath) else { return "" }
        return String(decoding: data, as: UTF8.self)
    }

    /// The last `lines` lines of the serial console, control characters removed.
    public func consoleTail(lines: Int) -> String {
        let cleaned = consoleText.unicodeScalars.filter { $0 == "\n" || ($0.value >= 0x20 && $0.value != 0x7F) }
        let text = String(String.UnicodeScalarView(cleaned))
        return text.split(separator: "\n", omittingEmptySubsequences: true).suffix(lines).joined(separator: "\n")
    }

    /// Stops the VM: ACPI power button, then QMP `quit`, then SIGKILL; returns once qemu has exited.
    /// - Parameter grace: Seconds to wait for the guest to power off by itself.
    /// - Returns: How it ended: `powerdown`, `quit`, `kill` or `already exited`.
    @discardableResult
    public func stop(grace: Double = 20) -> String {
        guard isRunning else { return "already exited" }
        if (try? qmp("system_powerdown")) != nil, waitForExit(seconds: grace) { return "powerdown" }
        if (try? qmp("quit")) != nil, waitForExit(seconds: 5) { return "quit" }
        return qemu.kill(waitingUpTo: 30) ? "kill" : "kill (qemu not reaped 30 s after SIGKILL)"
    }

    /// Sends one QMP command.
    /// - Parameter command: The command name.
    /// - Returns: Its `return` value.
    /// - Throws: When the socket or command fails.
    @discardableResult
    func qmp(_ command: String) throws -> Any {
        let socket = try JSONLineSocket(path: invocation.qmpSocketPath)
        let deadline = Date().addingTimeInterval(5)
        _ = try socket.receive(until: deadline)  // greeting
        _ = try socket.execute("qmp_capabilities", until: deadline)
        return try socket.execute(command, until: deadline)
    }
}
