// Decides between KVM and TCG for the libguestfs appliance and remembers a broken KVM.
import Foundation
import Synchronization

/// Which CPU accelerator the appliance's qemu uses.
public enum Accelerator: String, Sendable {
    /// libguestfs' default: KVM when `/dev/kvm` is usable, else TCG.
    case automatic
    /// Software emulation (`force_tcg`), slower but works where nested KVM is broken.
    case tcg

    /// The accelerator launches should start with; TCG once KVM has failed in this process.
    /// TCG also when the environment already forces it (`LIBGUESTFS_BACKEND_SETTINGS=force_tcg`), so logs and
    /// results say what really ran.
    static var preferred: Accelerator {
        if kvmKnownBroken.withLock({ $0 }) { return .tcg }
        let settings = ProcessInfo.processInfo.environment["LIBGUESTFS_BACKEND_SETTINGS"] ?? ""
        return settings.split(separator: ":").contains("force_tcg") ? .tcg : .automatic
    }

    static let kvmKnownBroken = Mutex(false)

    /// Marks KVM as broken for the rest of this process so later launches skip the failing attempt.
    static func rememberKVMBroken() {
        kvmKnownBroken.withLock { $0 = true }
    }

    /// Whether a failed launch's message and appliance output show that KVM, not the disk, was at fault.
    /// - Parameters:
    ///   - message: `guestfs_last_error` after the failed launch.
    ///   - output: What qemu and the appliance printed.
    /// - Returns: True when a retry under TCG can help.
    static func isKVMFailure(message: String, output: String) -> Bool {
        let haystack = (message + "\n" + output).lowercased()
        let signatures = [
            "failed to set msr", "kvm_init_vcpu", "kvm_run failed", "could not access kvm kernel module",
            "failed to initialize kvm", "kvm: entry failed", "error: failed to set msr", "kvm_set_msrs",
            "/dev/kvm",
        ]
        return signatures.contains { haystack.contains($0) }
    }
}

extension Accelerator {
    /// The KVM failure classifier, exposed for tests.
    public static func isKVMFailureForTesting(message: String, output: String) -> Bool {
        isKVMFailure(message: message, output: output)
    }
}
