// Errors of the accelerator choice, each naming what to change.

/// Choosing or using an accelerator failed.
public enum HypervisorError: Error, CustomStringConvertible, Sendable, Equatable {
    /// `--accel` or `LABFORGE_ACCEL` holds something else than auto, kvm or tcg.
    case invalidRequest(value: String, source: String)
    /// `--accel kvm` was asked for, but KVM failed.
    case kvmRequiredButUnusable(reason: String)

    public var description: String {
        switch self {
        case .invalidRequest(let value, let source):
            return "\(source)=\(value): expected auto, kvm or tcg"
        case .kvmRequiredButUnusable(let reason):
            return "KVM was required (--accel kvm / LABFORGE_ACCEL=kvm) but does not work here: \(reason); use --accel auto to fall back to TCG"
        }
    }
}
