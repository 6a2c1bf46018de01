// The CPU accelerators qemu runs guests with, what a user may ask for, and how long a start may take under each.
import Foundation

/// What actually runs a guest: hardware virtualization or software emulation.
public enum Accelerator: String, Sendable, Codable, CaseIterable {
    /// Hardware virtualization through `/dev/kvm`.
    case kvm
    /// qemu's software emulation: 5–20× slower, works everywhere.
    case tcg

    /// Seconds a libguestfs appliance launch may take before it counts as hung (the first launch of a
    /// machine also builds the supermin appliance, ~20 s; under TCG two parallel launches share 2 cores).
    public var applianceLaunchTimeout: Double {
        switch self {
        case .kvm: return 180
        case .tcg: return 900
        }
    }

    /// Seconds a verification boot may take until its kernel prints on the serial console. Only KVM boots
    /// are held to it (a KVM that hangs never gets there); TCG boots are bounded by the probes' deadline.
    public var kernelOutputTimeout: Double {
        switch self {
        case .kvm: return 60
        case .tcg: return .infinity
        }
    }

    /// How logs name it.
    public var displayName: String {
        switch self {
        case .kvm: return "KVM"
        case .tcg: return "TCG (software emulation, slower)"
        }
    }
}

/// What the user asked for: `--accel auto|kvm|tcg` or `LABFORGE_ACCEL`.
public enum AcceleratorRequest: String, Sendable, Codable, CaseIterable {
    /// Probe KVM once (a test guest must print within a few seconds) and fall back to TCG on any failure.
    case auto
    /// KVM without probe or fallback: a KVM failure fails the command.
    case kvm
    /// TCG always; KVM is never touched.
    case tcg

    /// The environment variable CI sets instead of passing `--accel` to every command.
    public static let environmentVariable = "LABFORGE_ACCEL"

    /// `LABFORGE_ACCEL` when set; `tcg` when `LIBGUESTFS_BACKEND_SETTINGS` already forces TCG; else `auto`.
    /// - Parameter environment: The process environment.
    /// - Returns: The request.
    /// - Throws: ``HypervisorError/invalidRequest(value:source:)`` for an unknown `LABFORGE_ACCEL` value.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> AcceleratorRequest {
        if let value = environment[environmentVariable], !value.isEmpty {
            guard let request = AcceleratorRequest(rawValue: value.lowercased()) else {
                throw HypervisorError.invalidRequest(value: value, source: environmentVariable)
            }
            return request
        }
        let settings = environment["LIBGUESTFS_BACKEND_SETTINGS"] ?? ""
        return settings.split(separator: ":").contains("force_tcg") ? .tcg : .auto
    }
}

extension Accelerator {
    /// Whether what qemu (or libguestfs) printed says that KVM, not the disk or the guest, is at fault.
    /// - Parameter text: Error messages and output.
    /// - Returns: True when a retry under TCG can help.
    public static func isKVMFailure(_ text: String) -> Bool {
        let text = text.lowercased()
        return [
            "failed to set msr", "kvm_init_vcpu", "kvm_run failed", "could not access kvm", "failed to initialize kvm",
            "kvm: entry failed", "kvm_set_msrs", "kvm_put_msrs", "/dev/kvm",
        ].contains { text.contains($0) }
    }
}
