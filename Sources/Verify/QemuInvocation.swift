// The qemu-system command line for a verification boot (pure: no I/O, unit-tested).
import Foundation
import Hypervisor
import LabforgeRecipe

/// Everything qemu needs to boot the overlay with its seed, forwards and control sockets.
public struct QemuInvocation: Sendable, Equatable {
    /// The copy-on-write overlay qemu writes (its backing file, the disk under test, is only read).
    public var overlayPath: String
    /// The NoCloud seed volume.
    public var seedPath: String
    /// The credentials volume (serial `labcreds`), as KubeVirt attaches a Secret; nil for none.
    public var credentialsPath: String?
    /// A per-student home disk (qcow2, written in place), attached with serial `lab-home` as KubeVirt attaches a
    /// blank DataVolume with `disks[].serial`; nil for none.
    public var homeDiskPath: String? = nil
    /// Where the serial console goes.
    public var consolePath: String
    /// The QMP control socket.
    public var qmpSocketPath: String
    /// The guest agent's virtio-serial socket.
    public var guestAgentSocketPath: String
    /// qemu writes its PID here.
    public var pidFilePath: String
    /// Host port (127.0.0.1) → guest port.
    public var forwards: [(host: Int, guest: Int)]
    /// CPUs.
    public var cpus: Int
    /// Memory in MiB.
    public var memoryMiB: Int
    /// KVM or TCG.
    public var accelerator: Accelerator
    /// The firmware qemu starts: SeaBIOS, or OVMF (with Secure Boot: SMM and the secure pflash, as KubeVirt does).
    public var firmware: Firmware
    /// The OVMF images (nil for BIOS).
    public var firmwareFiles: FirmwareFiles?
    /// This boot's own NVRAM, a fresh copy of the template (nil for BIOS).
    public var variablesPath: String?
    /// Whether qemu runs at the lowest CPU priority (a shorter boot beside the main one).
    public var background: Bool
    /// The VM's architecture: amd64 (`qemu-system-x86_64`, q35) or arm64 (`qemu-system-aarch64`, `virt`, AAVMF).
    public var architecture: Architecture

    /// Creates an invocation.
    /// - Parameters:
    ///   - overlayPath: The qcow2 overlay to boot.
    ///   - seedPath: The NoCloud seed ISO.
    ///   - credentialsPath: The credentials volume, or nil.
    ///   - consolePath: Serial console output file.
    ///   - qmpSocketPath: QMP socket path.
    ///   - guestAgentSocketPath: Guest agent socket path.
    ///   - pidFilePath: PID file path.
    ///   - forwards: Host → guest TCP port forwards.
    ///   - cpus: vCPUs (default 2).
    ///   - memoryMiB: Memory in MiB (default 2048).
    ///   - accelerator: KVM or TCG.
    ///   - firmware: The firmware to start (BIOS by default).
    ///   - firmwareFiles: OVMF's code and NVRAM template, for the UEFI firmwares.
    ///   - variablesPath: The NVRAM file of this boot, for the UEFI firmwares.
    ///   - background: Run at the lowest CPU priority.
    ///   - architecture: The VM's architecture.
    public init(
        overlayPath: String, seedPath: String, credentialsPath: String? = nil, consolePath: String, qmpSocketPath: String, guestAgentSocketPath: String,
        pidFilePath: String, forwards: [(host: Int, guest: Int)], cpus: Int = 2, memoryMiB: Int = 2048, accelerator: Accelerator,
        firmware: Firmware = .bios, firmwareFiles: FirmwareFiles? = nil, variablesPath: String? = nil, background: Bool = false,
        architecture: Architecture = .amd64
    ) {
        self.architecture = architecture
        self.overlayPath = overlayPath
        self.seedPath = seedPath
        self.credentialsPath = credentialsPath
        self.consolePath = consolePath
        self.qmpSocketPath = qmpSocketPath
        self.guestAgentSocketPath = guestAgentSocketPath
        self.pidFilePath = pidFilePath
        self.forwards = forwards
        self.cpus = cpus
        self.memoryMiB = memoryMiB
        self.accelerator = accelerator
        self.firmware = firmware
        self.firmwareFiles = firmwareFiles
        self.variablesPath = variablesPath
        self.background = background
    }

    /// The command to start: ``arguments``, under `nice -n 19` for a background boot.
    public var commandLine: [String] { (background ? ["nice", "-n", "19"] : []) + arguments }

    public static func == (a: QemuInvocation, b: QemuInvocation) -> Bool { a.arguments == b.arguments }

    /// The qemu program of an architecture: `qemu-system-x86_64` or `qemu-system-aarch64`.
    /// - Parameter architecture: The VM's architecture.
    /// - Returns: The program name.
    public static func program(for architecture: Architecture) -> String { "qemu-system-\(architecture.machine)" }

    /// The Debian package of ``program(for:)``: `qemu-system-x86` or `qemu-system-arm`.
    /// - Parameter architecture: The VM's architecture.
    /// - Returns: The package name.
    public static func package(for architecture: Architecture) -> String {
        switch architecture {
        case .amd64: return "qemu-system-x86"
        case .arm64: return "qemu-system-arm"
        }
    }

    /// The machine and accelerator: q35 (with SMM under Secure Boot) on amd64; on arm64 qemu's `virt` machine (what
    /// KubeVirt's arm64 VMs are).
    private var machineArguments: [String] {
        switch architecture {
        case .amd64:
            // Secure Boot needs SMM, so that only the firmware can write its variables (KubeVirt sets it likewise).
            return ["-machine", firmware == .uefiSecureBoot ? "q35,smm=on" : "q35", "-accel", accelerator.rawValue]
        case .arm64:
            return ["-machine", "virt", "-accel", accelerator.rawValue]
        }
    }

    /// The CPU: the host's under KVM; under TCG qemu's default on amd64 (it boots everything we build), and on arm64
    /// `max` (`virt` has no usable default) with qemu's cheap implementation-defined pointer authentication
    /// (`pauth-impdef`: the architected algorithm costs much of a TCG boot's time).
    private var cpuArguments: [String] {
        if accelerator == .kvm { return ["-cpu", "host"] }
        return architecture == .arm64 ? ["-cpu", "max,pauth-impdef=on"] : []
    }

    /// The program and its arguments (no shell). qemu options take commas as separators, so paths are
    /// escaped by doubling commas.
    public var arguments: [String] {
        func path(_ text: String) -> String { text.replacingOccurrences(of: ",", with: ",,") }
        let hostForwards = forwards.map { ",hostfwd=tcp:127.0.0.1:\($0.host)-:\($0.guest)" }.joined()
        var arguments = [Self.program(for: architecture), "-name", "labforge-verify"]
        arguments += machineArguments
        if let files = firmwareFiles, let variablesPath, firmware != .bios {
            if firmware == .uefiSecureBoot { arguments += ["-global", "driver=cfi.pflash01,property=secure,value=on"] }
            arguments += [
                "-drive", "if=pflash,format=raw,unit=0,file=\(path(files.code)),readonly=on",
                "-drive", "if=pflash,format=raw,unit=1,file=\(path(variablesPath))",
            ]
        }
        arguments += cpuArguments
        arguments += [
            "-m", String(memoryMiB),
            "-smp", String(cpus),
            "-display", "none",
            "-monitor", "none",
            "-nodefaults",
            "-no-user-config",
            "-serial", "file:\(consolePath)",
            "-qmp", "unix:\(path(qmpSocketPath)),server=on,wait=off",
            "-pidfile", pidFilePath,
            // bootindex: the firmware must boot the disk under test, whatever PCI slot the other volumes get.
            "-drive", "file=\(path(overlayPath)),if=none,id=root,format=qcow2,cache=unsafe",
            "-device", "virtio-blk-pci,drive=root,bootindex=0",
            "-drive", "file=\(path(seedPath)),if=virtio,format=raw,readonly=on",
        ]
        if let homeDiskPath {
            // Not cache=unsafe: what the guest wrote must reach the file before the next boot opens it.
            arguments += [
                "-drive", "file=\(path(homeDiskPath)),if=none,id=labhome,format=qcow2",
                "-device", "virtio-blk-pci,drive=labhome,serial=\(PersistentHome.diskSerial)",
            ]
        }
        if let credentialsPath {
            arguments += [
                "-drive", "file=\(path(credentialsPath)),if=none,id=labcreds,format=raw,readonly=on",
                "-device", "virtio-blk-pci,drive=labcreds,serial=labcreds",
            ]
        }
        arguments += [
            // restrict=on: the guest reaches neither the build host nor anything beyond it; only the forwards come in.
            "-netdev", "user,id=net0,restrict=on\(hostForwards)",
            "-device", "virtio-net-pci,netdev=net0",
            "-device", "virtio-rng-pci",
            "-chardev", "socket,id=qga0,path=\(path(guestAgentSocketPath)),server=on,wait=off",
            "-device", "virtio-serial-pci",
            "-device", "virtserialport,chardev=qga0,name=org.qemu.guest_agent.0",
        ]
        return arguments
    }
}
