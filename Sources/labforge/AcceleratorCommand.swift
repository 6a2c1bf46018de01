// `labforge accelerator`: which accelerator VMs and appliances would use here, and why.
import ArgumentParser
import Foundation
import Hypervisor
import Logging
import Reporting

struct AcceleratorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "accelerator",
        abstract: "Say whether guests run under KVM or TCG here, and why (runs the bounded KVM probe).",
        discussion: """
            With auto, KVM must prove itself: the host kernel is booted under KVM with its console on a serial file \
            and must print its banner within --timeout seconds. A missing or refused /dev/kvm, a qemu that aborts \
            (`failed to set MSR 0x10a`) or a guest that hangs means TCG. Other commands reuse the verdict for an \
            hour of the same boot; --fresh probes again. Exit status 0 either way.
            """
    )

    @OptionGroup var accelerator: AcceleratorOptions

    @Option(help: "Seconds the test guest has to print its banner.")
    var timeout: Double = 5

    @Option(help: "Kernel to boot (default: the newest /boot/vmlinuz-*).")
    var kernel: String?

    @Flag(help: "Probe again instead of reusing this boot's verdict.")
    var fresh = false

    @Flag(help: "Print the decision as JSON.")
    var json = false

    func validate() throws {
        guard timeout > 0 else { throw ValidationError("--timeout must be positive") }
    }

    func run() async throws {
        let probe = KVMProbe(kernel: kernel, timeout: timeout)
        let started = Date()
        var logger = Logger(label: "labforge.accelerator")
        logger.logLevel = json ? .warning : .notice
        let choice = AcceleratorChoice(probe: probe, remembers: !fresh)
        if let request = accelerator.accel { choice.request(request) }
        let probeLogger = logger
        let decision = try await DedicatedThread.run { try choice.decide(logger: probeLogger) }
        if json {
            struct Output: Encodable {
                var accelerator: Accelerator
                var request: AcceleratorRequest
                var reason: String
                var seconds: Double
            }
            try printJSON(Output(accelerator: decision.accelerator, request: decision.request, reason: decision.reason, seconds: Date().timeIntervalSince(started)))
        } else {
            print("\(decision.accelerator.rawValue): \(decision.reason)")
        }
    }
}
