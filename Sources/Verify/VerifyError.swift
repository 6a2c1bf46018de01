// Errors of `labforge verify`, each naming the step, file or probe at fault and what to do.
import LabforgeRecipe

/// A failure to boot or verify an image.
public enum VerifyError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The disk under test does not exist or qemu-img cannot read it.
    case unreadableDisk(path: String, message: String)
    /// A `--probe` value that names no known probe.
    case invalidProbe(String)
    /// A verification asked to boot under no firmware.
    case noFirmware
    /// A firmware no VM of the architecture starts with (arm64 boots UEFI alone).
    case firmwareUnavailable(firmware: Firmware, architecture: Architecture)
    /// The disk's root partition is another architecture's than the one it was to boot as.
    case architectureMismatch(path: String, disk: Architecture, requested: Architecture)
    /// The disk was to boot under BIOS but its first sector holds no boot code.
    case noBIOSBootCode(path: String)
    /// A host program labforge needs is not installed.
    case toolMissing(tool: String, package: String)
    /// A host program exited with an error.
    case toolFailed(command: String, status: Int32, message: String)
    /// The NoCloud seed could not be written.
    case seed(path: String, message: String)
    /// No free loopback TCP port could be reserved.
    case noFreePort(String)
    /// qemu did not start or exited before the probes were done.
    case qemuFailed(accelerator: String, message: String, consoleTail: String)
    /// One or more probes did not succeed before their timeout.
    case probesFailed(failed: [String], report: VerificationReport)
    /// An OCI layout that cannot be read or run as a container (not a layout, no such tag, no entrypoint, root user).
    case unusableImage(path: String, message: String)
    /// The container could not be started in fresh namespaces.
    case containerStart(String)

    public var description: String {
        switch self {
        case .unreadableDisk(let path, let message):
            return "cannot verify \(path): \(message) (pass the built qcow2 or raw disk)"
        case .invalidProbe(let text):
            return "unknown probe '\(text)': use web-terminal[:PORT[/PATH]], web-desktop[:PORT[/PAGE]], ssh, cloud-init, guest-agent, secure-boot, desktop-session[=PANEL][:PORT[/PATH]], desktop-resize[:PORT[/PATH]], clipboard[=DISPLAY][:PORT[/PATH]], clipboard-off[=DISPLAY][:PORT[/PATH]], file-transfer[:PORT[/PATH]], lab-tasks, home-reset or idle-stop"
        case .noFirmware:
            return "no firmware to boot under: give --firmware one or more of \(Firmware.allCases.map(\.rawValue).joined(separator: ", "))"
        case .firmwareUnavailable(let firmware, let architecture):
            return "\(architecture) VMs do not boot under \(firmware.displayName): give --firmware \(architecture.bootableFirmware.map(\.rawValue).joined(separator: ",")) (the recipe built for \(architecture) claims only those)"
        case .architectureMismatch(let path, let disk, let requested):
            return "\(path) is an \(disk) disk (its GPT root partition is of the \(disk) type), not \(requested): "
                + "pass --arch \(disk), or leave --arch out and labforge boots it as \(disk)"
        case .noBIOSBootCode(let path):
            return "\(path) cannot boot under BIOS: its first sector holds no boot code (a UEFI-only disk; an arm64 disk is one: "
                + "--arch arm64); verify it with --firmware uefi-secure-boot or --firmware uefi, or build it with BIOS among the recipe's firmware"
        case .toolMissing(let tool, let package):
            return "\(tool) is not installed: install the Debian package \(package) (`make deps` does)"
        case .toolFailed(let command, let status, let message):
            return "`\(command)` exited \(status): \(message)"
        case .seed(let path, let message):
            return "writing the NoCloud seed \(path) failed: \(message)"
        case .noFreePort(let message):
            return "no free 127.0.0.1 port for the forwards: \(message)"
        case .qemuFailed(let accelerator, let message, let consoleTail):
            let tail = consoleTail.isEmpty ? "" : "\nlast serial console lines:\n\(consoleTail)"
            return "qemu (\(accelerator)) failed: \(message)\(tail)"
        case .unusableImage(let path, let message):
            return "cannot run the image at \(path): \(message)"
        case .containerStart(let message):
            return "the container did not start: \(message) (verification runs it with unshare and chroot, as root)"
        case .probesFailed(let failed, let report):
            let lines = report.results.filter { !$0.passed }.map { "  \($0.probe): \($0.detail)" }.joined(separator: "\n")
            let tail = report.consoleTail.isEmpty ? "" : "\nlast serial console lines:\n\(report.consoleTail)"
            // A firmware that did not boot the disk comes first, in one line: the probes behind it could not pass.
            let boots = report.bootFailures.map { "verification of \(report.disk) failed: \($0)\n" }.joined()
            return boots + "verification of \(report.disk) failed: probe(s) \(failed.joined(separator: ", ")) did not pass\n\(lines)\(tail)"
        }
    }
}
