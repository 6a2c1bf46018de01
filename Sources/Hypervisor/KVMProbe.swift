// A bounded test of KVM: boot a real kernel under KVM and require its first console line within a few seconds.
#if canImport(Glibc)
import Glibc
#endif
import CLinux
import Foundation
import Logging
import ProcessRunner

/// Tells a working KVM from a missing, refused, aborting or hanging one.
///
/// `/dev/kvm` can exist and answer ioctls on machines where a guest still never runs: nested KVM that
/// aborts (`failed to set MSR 0x10a`) or hangs forever after the BIOS (the kernel's real-mode stub prints
/// `Probing EDD … ok` and nothing more). Only a guest kernel that gets as far as printing its banner proves
/// KVM; this probe boots the host's own kernel (no disk, no initrd) with the console on a serial file and
/// waits for `Linux version` — under a working KVM that takes well under a second.
public struct KVMProbe: Sendable {
    /// The KVM device.
    public var device: String
    /// The qemu binary (looked up in `PATH` unless absolute).
    public var qemu: String
    /// The kernel to boot; nil for the newest `/boot/vmlinuz-*`.
    public var kernel: String?
    /// Seconds the guest kernel has to print its banner.
    public var timeout: Double

    /// The probe's verdict.
    public struct Outcome: Sendable, Codable, Equatable {
        /// What to use.
        public var accelerator: Accelerator
        /// Why, in words for a log line.
        public var reason: String
        /// How long the probe took.
        public var seconds: Double

        /// Creates an outcome.
        /// - Parameters:
        ///   - accelerator: What to use.
        ///   - reason: Why.
        ///   - seconds: How long the probe took.
        public init(accelerator: Accelerator, reason: String, seconds: Double) {
            self.accelerator = accelerator
            self.reason = reason
            self.seconds = seconds
        }
    }

    /// Creates a probe.
    /// - Parameters:
    ///   - device: The KVM device.
    ///   - qemu: The qemu binary.
    ///   - kernel: The kernel to boot; nil for the newest in `/boot`.
    ///   - timeout: Seconds the guest has to print its banner (default 5).
    public init(device: String = "/dev/kvm", qemu: String = "qemu-system-x86_64", kernel: String? = nil, timeout: Double = 5) {
        self.device = device
        self.qemu = qemu
        self.kernel = kernel
        self.timeout = timeout
    }

    /// Runs the probe. Blocks for at most ``timeout`` plus a second; never throws: every failure means TCG.
    /// - Returns: KVM when a guest kernel printed in time, else TCG with the reason.
    public func run() -> Outcome {
        let started = Date()
        func outcome(_ accelerator: Accelerator, _ reason: String) -> Outcome {
            Outcome(accelerator: accelerator, reason: reason, seconds: Date().timeIntervalSince(started))
        }
        if let refusal = deviceRefusal() { return outcome(.tcg, refusal) }
        guard let kernel = kernel ?? Self.newestHostKernel() else {
            return outcome(.tcg, "no kernel under /boot to test KVM with (install linux-image-amd64)")
        }
        guard let qemuPath = Self.executable(qemu) else { return outcome(.tcg, "\(qemu) not found (install qemu-system-x86)") }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("labforge-kvm-probe-\(UUID().uuidString.prefix(8))").path
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            return outcome(.tcg, "cannot create a scratch directory for the KVM probe: \(error)")
        }
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let console = directory + "/console.log"
        guard FileManager.default.createFile(atPath: console, contents: nil) else {
            return outcome(.tcg, "cannot write the KVM probe's console file in \(directory)")
        }
        let qemuArguments = [
            qemuPath, "-accel", "kvm", "-cpu", "host", "-m", "256", "-smp", "1", "-nodefaults", "-no-user-config",
            "-display", "none", "-monitor", "none", "-serial", "file:" + console.replacingOccurrences(of: ",", with: ",,"), "-no-reboot",
            "-kernel", kernel, "-append", "console=ttyS0 earlyprintk=serial,ttyS0,115200 nokaslr panic=-1",
        ]
        // The one launcher of long-lived children: a crash of labforge during the probe takes qemu with it (a hung
        // KVM guest would spin forever), an interrupt kills it, and qemu gets the allow-listed environment.
        let qemuProcess: LongLivedChild
        do {
            qemuProcess = try LongLivedChild.launch(qemuArguments, error: .capture, name: "kvm-probe")
        } catch {
            return outcome(.tcg, "cannot start \(qemuPath): \(error)")
        }
        let deadline = started.addingTimeInterval(timeout)
        while Date() < deadline {
            let ended = qemuProcess.waitForExit(seconds: 0.05)
            if Self.contains(console, "Linux version") {
                Self.stop(qemuProcess)
                return outcome(.kvm, "a test guest booted under KVM in \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
            }
            if ended {
                let message = Self.firstLine(of: qemuProcess.capturedError) ?? "qemu exited with status \(qemuProcess.exitStatus ?? 0)"
                return outcome(.tcg, "KVM present but qemu failed with it (\(message))")
            }
        }
        Self.stop(qemuProcess)
        return outcome(.tcg, "KVM present but a test guest did not boot within \(Self.seconds(timeout)) s")
    }

    /// Why `device` cannot be KVM, or nil when it answers `KVM_GET_API_VERSION`.
    func deviceRefusal() -> String? {
        let fd = open(device, O_RDWR | O_CLOEXEC)
        guard fd >= 0 else {
            let error = errno
            if error == ENOENT { return "\(device) does not exist (no KVM on this machine)" }
            if error == EACCES || error == EPERM { return "\(device) is not accessible to this user (add it to the kvm group)" }
            return "\(device) cannot be opened: \(String(cString: strerror(error)))"
        }
        defer { close(fd) }
        let version = labforge_kvm_api_version(fd)
        guard version == 12 else { return "\(device) is not a KVM device (KVM_GET_API_VERSION failed)" }
        return nil
    }

    /// The newest `/boot/vmlinuz-*` that this user can read.
    /// - Returns: Its path, or nil.
    public static func newestHostKernel(in directory: String = "/boot") -> String? {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasPrefix("vmlinuz-") }
            .sorted { $0.compare($1, options: .numeric) == .orderedAscending }
            .map { "\(directory)/\($0)" }
            .last { FileManager.default.isReadableFile(atPath: $0) }
    }

    static func executable(_ name: String) -> String? {
        ProgramPath.find(name)
    }

    private static func contains(_ path: String, _ text: String) -> Bool {
        guard let data = FileManager.default.contents(atPath: path), !data.isEmpty else { return false }
        return String(decoding: data, as: UTF8.self).contains(text)
    }

    private static func firstLine(of text: String) -> String? {
        text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.first { !$0.isEmpty }
    }

    /// Kills the probe's qemu and waits until it is reaped; one stuck in the kernel is left to the launcher (it
    /// stays registered, and a crash of labforge still kills it).
    private static func stop(_ qemu: LongLivedChild) {
        if !qemu.kill(waitingUpTo: 1) {
            Logger(label: "labforge.hypervisor").warning("the KVM probe's qemu (PID \(qemu.pid)) had not ended 1 s after SIGKILL")
        }
    }

    static func seconds(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(format: "%.1f", value)
    }
}
