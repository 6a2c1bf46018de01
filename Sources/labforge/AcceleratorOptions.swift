// `--accel auto|kvm|tcg`, shared by every command that starts a VM or a libguestfs appliance.
import ArgumentParser
import Hypervisor

extension AcceleratorRequest: ExpressibleByArgument {}

/// The accelerator option; ``apply()`` makes it the process's request before any VM starts.
struct AcceleratorOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Accelerator: auto (probe KVM with a test guest, else TCG), kvm (no probe, no fallback), tcg. Default: $LABFORGE_ACCEL, else auto.",
            valueName: "auto|kvm|tcg"))
    var accel: AcceleratorRequest?

    func validate() throws {
        if accel == nil {
            do { _ = try AcceleratorRequest.fromEnvironment() } catch { throw ValidationError("\(error)") }
        }
    }

    /// Makes `--accel` (when given) the request of this process.
    func apply() {
        if let accel { AcceleratorChoice.shared.request(accel) }
    }
}
