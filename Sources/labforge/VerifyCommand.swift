// `labforge verify`: boot a built disk under QEMU and prove the web terminal, web desktop, SSH and guest agent answer.
import ArgumentParser
import Foundation
import LabforgeRecipe
import Logging
import RecipeRepository
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

            Firmware: the disk boots under each --firmware as KubeVirt would start it: uefi-secure-boot (OVMF with \
            Microsoft's keys enrolled, SMM, a fresh NVRAM copy: no boot entries), uefi (plain OVMF), bios (SeaBIOS). \
            The first of them gets every probe, plus secure-boot (the guest reads its SecureBoot EFI variable over \
            the guest agent); each other one boots beside it at the lowest CPU priority up to its first agent's answer. A boot the \
            firmware refuses fails at once with the firmware's line and the console's last lines. An arm64 disk (--arch arm64, \
            a disk whose GPT root partition has the arm64 type, or a recipe's first architecture) boots qemu-system-aarch64's virt \
            machine under AAVMF (uefi alone), always under TCG. A disk is never booted as another architecture than its \
            root partition's type says, nor under BIOS without boot code in its first sector: both fail at once.

            Probes: web-terminal[:PORT[/PATH]] (ttyd page, then a shell over its `tty` WebSocket), \
            web-desktop[:PORT[/PAGE]] (noVNC page, then the RFB banner through websockify), ssh (banner, then a \
            command with the generated key), cloud-init (finished without errors), guest-agent (guest-ping); the \
            desktop proofs (desktop-session, desktop-resize, clipboard, clipboard-off, file-transfer); and a lab's life, \
            VM only: lab-tasks (over guest-exec: each `lab check N` fails on the fresh image, passes after `lab solve N`), \
            home-reset (a blank disk with serial lab-home on /home; a reset boot with a fresh system overlay keeps \
            the file written there and loses the one in /etc), idle-stop (last: a held web-terminal session keeps the VM \
            up past a 60 s window set in /run/lab/idle-override; closed, the guest powers itself off in time).
            """
    )

    @Argument(help: "The disk image to boot (qcow2 or raw).")
    var disk: String?

    @Option(help: ArgumentHelp(
        "Verify a pod lab's container image instead: an OCI layout, unpacked and run as its user in fresh namespaces (unshare + chroot).",
        valueName: "layout"))
    var image: String?

    @Option(help: "With --image: the tag in the layout (default: its only image).")
    var tag: String?

    @Option(help: ArgumentHelp("With --image: how the test credentials reach the container.", valueName: "secret|environment"))
    var credentials: ContainerCredentialSource = .secret

    @Option(help: "Take the probes from this recipe's agents (plus ssh, cloud-init, guest-agent; lab-tasks, home-reset, idle-stop for a lab).")
    var recipe: String?

    @OptionGroup var source: RecipeSourceOptions

    @Option(name: .customLong("probe"), help: ArgumentHelp("A probe to run (repeatable); without --recipe or --probe: ssh, cloud-init, guest-agent.", valueName: "probe"))
    var probes: [String] = []

    @Option(help: "The lab user the seed creates (default: the recipe's agent user, else student).")
    var user: String?

    @Option(help: "Seconds for the whole run from qemu's start.")
    var timeout: Double = 300

    @Option(help: "Seconds each probe may take from qemu's start (default: --timeout).")
    var probeTimeout: Double?

    @Option(help: ArgumentHelp(
        "Firmwares to boot under, comma-separated (default: the recipe's claim, else uefi-secure-boot,bios).",
        valueName: "uefi-secure-boot,uefi,bios"))
    var firmware: String?

    @Option(name: .customLong("arch"), help: ArgumentHelp(
        "The disk's architecture (default: what its GPT root partition's type says, else the recipe's first, else amd64). arm64 boots qemu-system-aarch64 (virt, AAVMF) under TCG, with --timeout and --probe-timeout tripled, under UEFI alone.",
        valueName: "amd64|arm64"), transform: Architecture.parseOption)
    var architecture: Architecture?

    @Option(help: "vCPUs.")
    var cpus: Int = 2

    @Option(help: "Memory in MiB.")
    var memory: Int = 2048

    @OptionGroup var accelerator: AcceleratorOptions

    @Option(help: ArgumentHelp(
        "Terminal authentication to prove: basic (a credential given at boot on the labcreds disk), none, header:NAME (default: the recipe's, else basic).",
        valueName: "basic|none|header:NAME"))
    var terminalAuth: String?

    @Option(help: ArgumentHelp(
        "Desktop authentication to prove: vnc (a VNC password given at boot), none (default: the recipe's, else vnc).", valueName: "vnc|none"))
    var desktopAuth: String?

    @Option(help: "Append the serial console to this file (the build log).")
    var consoleLog: String?

    @Option(help: "Also write the JSON report to this file.")
    var report: String?

    @Option(help: "Write what the students will see into this directory: desktop.png (the VNC screen) and terminal.txt (the shell's first screen).")
    var pictures: String?

    @Flag(help: "Print the report as JSON on stdout.")
    var json = false

    func validate() throws {
        guard (disk == nil) != (image == nil) else { throw ValidationError("give a disk, or --image LAYOUT for a container image (one of them)") }
        guard timeout > 0, (probeTimeout ?? 1) > 0 else { throw ValidationError("timeouts must be positive") }
        guard cpus > 0, memory >= 256 else { throw ValidationError("--cpus must be ≥ 1 and --memory ≥ 256 MiB") }
        for probe in probes { _ = try ProbeTarget.parse(probe) }
        if let firmware, Firmware.list(firmware) == nil {
            throw ValidationError("--firmware \(firmware): expected a comma-separated list of \(Firmware.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        _ = try access(base: AgentAccess())
    }

    /// `--terminal-auth` and `--desktop-auth` applied over `base` (the recipe's or the default).
    func access(base: AgentAccess) throws -> AgentAccess {
        var access = base
        switch terminalAuth {
        case nil: break
        case "basic": access.terminal = .basic(fixed: nil)
        case "none": access.terminal = .open
        case let value? where value.hasPrefix("header:") && value.count > 7: access.terminal = .proxyHeader(String(value.dropFirst(7)))
        case let value?: throw ValidationError("--terminal-auth \(value): expected basic, none or header:NAME")
        }
        switch desktopAuth {
        case nil: break
        case "vnc": access.desktop = .vncPassword(fixed: nil)
        case "none": access.desktop = .open
        case let value?: throw ValidationError("--desktop-auth \(value): expected vnc or none")
        }
        return access
    }

    func run() async throws {
        accelerator.apply()
        var targets = try probes.map(ProbeTarget.parse)
        var userName = user
        var access = AgentAccess()
        var firmwares = firmware.flatMap(Firmware.list) ?? Firmware.standard
        var logger = Logger(label: "labforge.verify")
        logger.logLevel = ProcessInfo.processInfo.environment["LABFORGE_DEBUG"] == nil ? .info : .debug
        // A disk says its architecture by its root partition's type (labforge's disks do): it is booted as that
        // unless --arch says otherwise (and then the verifier refuses the mismatch at once). The facts are read only
        // when they decide something here (the architecture, or the default firmware set); the verifier checks the
        // disk against what was asked in any case, after what it checks first (firmware vs. architecture).
        var facts: DiskBootFacts?
        if let disk, self.architecture == nil || firmware == nil { facts = try await DiskBootFacts.read(disk) }
        let ownArchitecture = facts?.architecture
        var architecture = self.architecture ?? ownArchitecture ?? .amd64
        var firmwareClaimed = firmware != nil
        if let name = recipe, let recipe = try await source.load().select([name]).first?.recipe {
            architecture = self.architecture ?? ownArchitecture ?? recipe.architectures.first ?? .amd64
            if firmware == nil {
                firmwares = try recipe.building(for: architecture).firmware
                firmwareClaimed = true
            }
            let fromRecipe = ProbePlan(recipe: recipe)
            targets = fromRecipe.targets + targets.filter { !fromRecipe.targets.contains($0) }
            userName = user ?? fromRecipe.userName
            access = fromRecipe.access
        }
        if let image, targets.isEmpty {
            let declared = try ImageVerifier.declaredProbes(layout: image, tag: tag)
            targets = declared.targets
            userName = user ?? declared.user
        }
        access = try self.access(base: access)
        if targets.isEmpty { targets = ProbePlan.basic }
        let plan = ProbePlan(userName: userName ?? "student", targets: targets, access: access)
        if let image {
            let reporter = StreamProgressReporter(style: .automatic(json: json))
            let result = try await ImageVerifier(logger: logger, progress: reporter).verify(
                layout: image, tag: tag, plan: plan,
                options: ImageVerifyOptions(probeTimeout: probeTimeout ?? min(timeout, 180), credentials: credentials, consoleLog: consoleLog))
            try finish(result)
            return
        }
        var options = VerifyOptions(
            deadline: timeout, probeTimeout: probeTimeout, cpus: cpus, memoryMiB: memory,
            consoleLog: consoleLog)
        // An arm64 disk boots UEFI alone: without --firmware, the default set is narrowed to what it has. Without a
        // claim (no --firmware, no recipe), a disk without BIOS boot code is not booted under BIOS either.
        if firmware == nil { firmwares = firmwares.filter(architecture.bootableFirmware.contains) }
        if !firmwareClaimed, facts?.hasBIOSBootCode == false, firmwares.contains(.bios), firmwares.count > 1 {
            firmwares.removeAll { $0 == .bios }
            logger.notice("\(disk ?? ""): no BIOS boot code in its first sector: verified under \(firmwares.map(\.rawValue).joined(separator: ", ")) alone")
        }
        options.firmware = firmwares.isEmpty ? architecture.bootableFirmware : firmwares
        options.architecture = architecture
        if let pictures {
            try FileManager.default.createDirectory(atPath: pictures, withIntermediateDirectories: true)
            options.pictures = URL(fileURLWithPath: pictures).standardizedFileURL.path
        }
        let reporter = StreamProgressReporter(style: .automatic(json: json))
        let result = try await Verifier(logger: logger, progress: reporter).verify(disk: disk ?? "", plan: plan, options: options)
        try finish(result)
    }

    private func finish(_ result: VerificationReport) throws {
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

extension ContainerCredentialSource: ExpressibleByArgument {}
