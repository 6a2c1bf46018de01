// `labforge verify`: boot a built disk under QEMU and prove the web terminal, web desktop, SSH and guest agent answer.
import ArgumentParser
import Foundation
import Logging
import Recipes
import Reporting
import Verify

struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Boot a disk under QEMU and check what students use: web terminal, web desktop, SSH, cloud-init, guest agent.",
        discussion: """
            The disk is never written: qemu boots a throwaway copy-on-write overlay (KVM when it works, else TCG), \
            with a NoCloud seed (ISO9660 volume `cidata`) that gives the lab user a random password and a fresh \
            SSH key, and forwards free 127.0.0.1 ports to the probed guest ports. Probes are retried until they \
            pass or their timeout; the VM is always stopped (ACPI power-off, then QMP quit, then SIGKILL; a crash \
            of labforge kills it through PR_SET_PDEATHSIG). Exit status 0 only when every probe passed.

            Probes: web-terminal[:PORT[/PATH]] (ttyd page, then a shell over its `tty` WebSocket), \
            web-desktop[:PORT[/PAGE]] (noVNC page, then the RFB banner through websockify), ssh (banner, then a \
            command with the generated key), cloud-init (finished without errors), guest-agent (guest-ping).
            """
    )

    @Argument(help: "The disk image to boot (qcow2 or raw).")
    var disk: String

    @Option(help: "Take the probes from this recipe's agents (plus ssh, cloud-init, guest-agent).")
    var recipe: String?

    @Option(name: .customLong("probe"), help: ArgumentHelp("A probe to run (repeatable); without --recipe or --probe: ssh, cloud-init, guest-agent.", valueName: "probe"))
    var probes: [String] = []

    @Option(help: "The lab user the seed creates (default: the recipe's agent user, else student).")
    var user: String?

    @Option(help: "Seconds for the whole run from qemu's start.")
    var timeout: Double = 300

    @Option(help: "Seconds each probe may take from qemu's start (default: --timeout).")
    var probeTimeout: Double?

    @Option(help: "vCPUs.")
    var cpus: Int = 2

    @Option(help: "Memory in MiB.")
    var memory: Int = 2048

    @Option(help: "Accelerator: auto (KVM, falling back to TCG), kvm, tcg.")
    var accel: String = "auto"

    @Option(help: "Append the serial console to this file (the build log).")
    var consoleLog: String?

    @Option(help: "Also write the JSON report to this file.")
    var report: String?

    @Flag(help: "Print the report as JSON on stdout.")
    var json = false

    func validate() throws {
        guard ["auto", "kvm", "tcg"].contains(accel) else { throw ValidationError("--accel must be auto, kvm or tcg") }
        guard timeout > 0, (probeTimeout ?? 1) > 0 else { throw ValidationError("timeouts must be positive") }
        guard cpus > 0, memory >= 256 else { throw ValidationError("--cpus must be ≥ 1 and --memory ≥ 256 MiB") }
        for probe in probes { _ = try ProbeTarget.parse(probe) }
        if let recipe, Recipes.named(recipe) == nil {
            throw ValidationError("unknown recipe '\(recipe)' (known: \(Recipes.all.map(\.name).joined(separator: ", "))); use --probe instead")
        }
    }

    func run() async throws {
        Interruption.installHandlers(onInterrupt: { RunningMachines.killAll() })
        var targets = try probes.map(ProbeTarget.parse)
        var userName = user
        if let recipe = recipe.flatMap(Recipes.named) {
            let fromRecipe = ProbePlan(recipe: recipe)
            targets = fromRecipe.targets + targets.filter { !fromRecipe.targets.contains($0) }
            userName = user ?? fromRecipe.userName
        }
        if targets.isEmpty { targets = ProbePlan.basic }
        let plan = ProbePlan(userName: userName ?? "student", targets: targets)
        let options = VerifyOptions(
            deadline: timeout, probeTimeout: probeTimeout, cpus: cpus, memoryMiB: memory,
            accelerator: accel == "auto" ? nil : BootAccelerator(rawValue: accel), consoleLog: consoleLog)
        var logger = Logger(label: "labforge.verify")
        logger.logLevel = ProcessInfo.processInfo.environment["LABFORGE_DEBUG"] == nil ? .info : .debug
        let reporter = StreamProgressReporter(style: .automatic(json: json))
        let result = try await Verifier(logger: logger, progress: reporter).verify(disk: disk, plan: plan, options: options)
        if let report { try result.write(to: report) }
        if json {
            print(String(decoding: try result.json(), as: UTF8.self))
        } else {
            print(result.table)
        }
        if !result.passed {
            if json { throw ExitCode(1) }
            throw VerifyError.probesFailed(failed: result.failedProbes, report: result)
        }
    }
}
