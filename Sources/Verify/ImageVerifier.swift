// `labforge verify --image`: unpacks a container image layout, runs its entrypoint as its user in fresh namespaces, probes the agents.
import Foundation
import LabforgeRecipe
import Logging
import OCI
import Reporting

/// How the test credentials reach the container.
public enum ContainerCredentialSource: String, Sendable, CaseIterable, Codable {
    /// Files of a Secret volume, mounted read-only at ``BootCredentials/runtimeDirectory`` (what the manifests do).
    case secret
    /// ``LabSupervisor/terminalVariable`` and ``LabSupervisor/desktopVariable`` in the environment at start.
    case environment
}

/// Limits and choices of a container verification.
public struct ImageVerifyOptions: Sendable {
    /// Seconds each probe may take from the container's start.
    public var probeTimeout: Double
    /// How the credentials are given.
    public var credentials: ContainerCredentialSource
    /// Also start the image without credentials and prove its agents stay down (fail closed).
    public var checkFailClosed: Bool
    /// Where the container's output is appended (the build log); nil keeps it only for failure messages.
    public var consoleLog: String?

    /// Creates options.
    public init(probeTimeout: Double = 120, credentials: ContainerCredentialSource = .secret, checkFailClosed: Bool = true, consoleLog: String? = nil) {
        self.probeTimeout = probeTimeout
        self.credentials = credentials
        self.checkFailClosed = checkFailClosed
        self.consoleLog = consoleLog
    }
}

/// Verifies a pod lab image without a container engine (``NamespacedContainer``), with the VM's probes.
public struct ImageVerifier: Sendable {
    private let logger: Logger
    private let progress: any ProgressReporter

    /// Creates a verifier.
    /// - Parameters:
    ///   - logger: Receives one line per stage.
    ///   - progress: Receives one event per finished probe.
    public init(logger: Logger = Logger(label: "labforge.verify"), progress: any ProgressReporter = SilentProgress()) {
        self.logger = logger
        self.progress = progress
    }

    /// The image's probes: the web terminal and desktop of `plan` with their proofs (SSH, cloud-init and the guest
    /// agent have no meaning in a pod lab and are left out).
    public static func containerTargets(_ plan: ProbePlan) -> ProbePlan {
        var plan = plan
        plan.targets = plan.targets.filter(\.probesAgent)
        return plan
    }

    /// Unpacks `layout`, starts it with test credentials, probes it, stops it with SIGTERM, and (by default)
    /// starts it again without credentials to prove nothing serves.
    /// - Parameters:
    ///   - layout: An OCI image layout.
    ///   - tag: The tag in the layout (nil: its only image).
    ///   - plan: The lab user and probes (only those of the browser-facing agents run: web-terminal, web-desktop, the desktop and file-transfer proofs).
    ///   - options: Limits and credential source.
    /// - Returns: The report, passed or not.
    /// - Throws: ``VerifyError`` when the image cannot be read or started.
    public func verify(layout: String, tag: String? = nil, plan: ProbePlan, options: ImageVerifyOptions = ImageVerifyOptions()) async throws -> VerificationReport {
        let started = Date()
        let plan = Self.containerTargets(plan)
        guard !plan.targets.isEmpty else { throw VerifyError.unusableImage(path: layout, message: "no web-terminal or web-desktop probe to run") }
        let image = try Self.readImage(layout: layout, tag: tag)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("labforge-verify-image-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        Interruption.register(directory)
        defer {
            try? FileManager.default.removeItem(atPath: directory)
            Interruption.unregister(directory)
        }
        // Owned by the container's root (0700): its start script reaches the root, the Secret and the environment
        // file through here; no other host user can.
        let rootfs = directory + "/rootfs"
        try FileManager.default.createDirectory(atPath: rootfs, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        for path in [directory, rootfs] { try Self.giveToContainerRoot(path) }
        let layers = image.layers
        let entries = try await DedicatedThread.run(name: "labforge.verify.unpack") { try Self.unpack(layers, into: rootfs, path: layout) }
        try Self.prepareMountPoints(rootfs: rootfs, mountPoint: BootCredentials.runtimeDirectory, path: layout)
        logger.info("verify --image: unpacked \(image.layers.count) layer(s), \(entries) entries, in \(String(format: "%.1f", Date().timeIntervalSince(started))) s; running \(image.entrypoint.joined(separator: " ")) as \(image.uid):\(image.gid) (host \(ContainerIDMap.host(image.uid)):\(ContainerIDMap.host(image.gid)))")

        var credentials: TestCredentials?
        var environment = image.environment
        var credentialsDirectory: String?
        if plan.needsBootCredentials {
            let generated = TestCredentials.generate(user: plan.userName)
            credentials = generated
            switch options.credentials {
            case .secret:
                credentialsDirectory = try Self.writeSecretFiles(generated, gid: image.gid, in: directory + "/secret")
            case .environment:
                environment += [
                    "\(LabSupervisor.terminalVariable)=\(generated.terminal.username):\(generated.terminal.password)",
                    "\(LabSupervisor.desktopVariable)=\(generated.desktopPassword)",
                ]
            }
        }
        let launch = ContainerLaunch(
            rootfs: rootfs, uid: image.uid, gid: image.gid, environment: environment, command: image.entrypoint,
            workingDirectory: image.workingDirectory, credentialsDirectory: credentialsDirectory,
            credentialsMountPoint: BootCredentials.runtimeDirectory, ports: plan.forwardedGuestPorts, logPath: directory + "/container.log")
        let container = try await DedicatedThread.run(name: "labforge.verify.container") { try NamespacedContainer.start(launch) }
        let bootStarted = Date()
        var results = await ProbeRun(
            machine: container, seed: nil, credentials: credentials, plan: plan, options: VerifyOptions(deadline: options.probeTimeout),
            bootStarted: bootStarted, subject: layout, progress: progress, logger: logger
        ).run()
        let stoppedBy = (try? await DedicatedThread.run(name: "labforge.verify.stop") { container.stop() }) ?? "not stopped"
        results.append(ProbeResult(
            probe: "sigterm", passed: stoppedBy.hasPrefix("SIGTERM: exited with status 0"), seconds: Date().timeIntervalSince(bootStarted),
            attempts: 1, detail: stoppedBy))
        var log = (try? String(contentsOfFile: launch.logPath, encoding: .utf8)) ?? ""

        if options.checkFailClosed && plan.needsBootCredentials {
            var closed = launch
            closed.credentialsDirectory = nil
            closed.environment = image.environment
            closed.logPath = directory + "/container-no-credentials.log"
            results.append(try await failClosed(closed, plan: plan))
            log += "\n----- started again without credentials -----\n" + ((try? String(contentsOfFile: closed.logPath, encoding: .utf8)) ?? "")
        }
        if let destination = options.consoleLog { Self.append(log, layout: layout, to: destination) }
        let passed = results.allSatisfy(\.passed)
        return VerificationReport(
            disk: layout, accelerator: "none (namespaces: unshare + chroot)", results: results, passed: passed,
            seconds: Date().timeIntervalSince(started), stoppedBy: stoppedBy, consoleLog: options.consoleLog,
            consoleTail: passed ? "" : log.split(separator: "\n").suffix(25).joined(separator: "\n"),
            finishedAt: ISO8601DateFormatter().string(from: Date()))
    }

    /// Starts the image without credentials: each agent that needs one must log why it is not serving, and its
    /// port must accept no session (the forward closes at once when nothing listens).
    private func failClosed(_ launch: ContainerLaunch, plan: ProbePlan) async throws -> ProbeResult {
        let started = Date()
        let container = try await DedicatedThread.run(name: "labforge.verify.container") { try NamespacedContainer.start(launch) }
        var expected: [String] = []
        if case .basic(fixed: nil) = plan.access.terminal { expected.append("not serving a shell without it") }
        if case .vncPassword(fixed: nil) = plan.access.desktop, plan.targets.contains(where: { if case .webDesktop = $0 { return true } else { return false } }) {
            expected.append("not serving the desktop without it")
        }
        var log = ""
        while Date().timeIntervalSince(started) < 30 {
            log = (try? String(contentsOfFile: launch.logPath, encoding: .utf8)) ?? ""
            if expected.allSatisfy({ log.contains($0) }) { break }
            try? await Task.sleep(for: .milliseconds(250))
        }
        var serving: [String] = []
        for target in plan.targets {
            guard let port = target.guestPort, let hostPort = container.hostPorts[port] else { continue }
            // websockify is a relay: it may accept a connection and serve noVNC's page, but with VNC refused (the log
            // line above) no desktop is behind it — the same as in a VM. The terminal's port is the server itself
            // (checked once, for the web-terminal probe: the file-transfer proof speaks to the same port).
            guard case .webTerminal = target else { continue }
            if Self.answers(port: hostPort) { serving.append("\(target.name) on \(port)") }
        }
        _ = try? await DedicatedThread.run(name: "labforge.verify.stop") { container.stop() }
        let said = expected.allSatisfy { log.contains($0) }
        let detail = serving.isEmpty && said
            ? "without credentials: nothing listens on the agent ports; the log says \(expected.map { "\"\($0)\"" }.joined(separator: ", "))"
            : "without credentials: \(serving.isEmpty ? "" : "answering: \(serving.joined(separator: ", ")); ")\(said ? "" : "the log does not say why the agents are down")"
        return ProbeResult(probe: "fail-closed", passed: serving.isEmpty && said, seconds: Date().timeIntervalSince(started), attempts: 1, detail: detail)
    }

    /// Whether an HTTP request to the forwarded port gets any answer (a closed forward gives none).
    private static func answers(port: Int) -> Bool {
        guard let descriptor = LoopbackPorts.connect(to: port) else { return false }
        defer { close(descriptor) }
        let request = Array("GET / HTTP/1.0\r\n\r\n".utf8)
        _ = request.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var byte: UInt8 = 0
        return read(descriptor, &byte, 1) > 0
    }

    /// What a runtime reads from an image.
    struct RunnableImage {
        var layers: [LayerBlob]
        var uid: Int
        var gid: Int
        var environment: [String]
        var entrypoint: [String]
        var workingDirectory: String
    }

    /// Reads the layout's image and checks it can run as a pod lab: a numeric non-root user inside the mapped ids,
    /// an entrypoint, an `Env` of `NAME=value` lines, layers labforge could have written (``layerBlobs(_:in:path:)``).
    static func readImage(layout: String, tag: String?) throws -> RunnableImage {
        let image: (manifest: ImageManifest, config: ImageConfig, layout: ImageLayout)
        do {
            let opened = try ImageLayout(path: layout)
            let manifest = try opened.manifest(tag: tag).manifest
            image = (manifest, try opened.config(of: manifest), opened)
        } catch {
            throw VerifyError.unusableImage(path: layout, message: "\(error)")
        }
        let execution = image.config.config ?? ImageConfig.Execution()
        let user = (execution.User ?? "").split(separator: ":").map { Int($0) }
        guard let uidValue = user.first, let uid = uidValue, uid != 0 else {
            throw VerifyError.unusableImage(path: layout, message: "its User is \"\(execution.User ?? "")\": a pod lab image runs as a numeric non-root user (uid:gid)")
        }
        let gid = user.count > 1 ? (user[1] ?? uid) : uid
        guard uid > 0, Int64(uid) < ContainerIDMap.count, gid >= 0, Int64(gid) < ContainerIDMap.count else {
            throw VerifyError.unusableImage(path: layout, message: "its User is \"\(execution.User ?? "")\": ids run from 1 to \(ContainerIDMap.count - 1) (the container's user namespace maps 0–\(ContainerIDMap.count - 1))")
        }
        let entrypoint = (execution.Entrypoint ?? []) + (execution.Cmd ?? [])
        guard !entrypoint.isEmpty else { throw VerifyError.unusableImage(path: layout, message: "no Entrypoint or Cmd") }
        try checkEnvironment(execution.Env ?? [], path: layout)
        return RunnableImage(
            layers: try layerBlobs(image.manifest, in: image.layout, path: layout), uid: uid, gid: gid, environment: execution.Env ?? [],
            entrypoint: entrypoint, workingDirectory: execution.WorkingDir ?? "/")
    }

    /// The Secret volume as Kubernetes mounts it with `fsGroup`: files 0440 root:`gid` in a directory 0750 root:`gid`,
    /// in the container's ids (``ContainerIDMap``).
    static func writeSecretFiles(_ credentials: TestCredentials, gid: Int, in directory: String) throws -> String {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o750])
        let files = [
            BootCredentials.terminalKey: "\(credentials.terminal.username):\(credentials.terminal.password)\n",
            BootCredentials.desktopKey: "\(credentials.desktopPassword)\n",
        ]
        for (name, contents) in files {
            let path = directory + "/" + name
            guard FileManager.default.createFile(atPath: path, contents: Data(contents.utf8), attributes: [.posixPermissions: 0o440]) else {
                throw VerifyError.containerStart("cannot write \(path)")
            }
            try giveToContainerRoot(path, group: gid)
        }
        try giveToContainerRoot(directory, group: gid)
        return directory
    }

    /// Owns `path` by the container's root and its group `group` (host ids shifted by ``ContainerIDMap``).
    static func giveToContainerRoot(_ path: String, group: Int = 0) throws {
        guard chown(path, uid_t(ContainerIDMap.host(0)), gid_t(ContainerIDMap.host(group))) == 0 else {
            throw VerifyError.containerStart("cannot give \(path) to the container's ids: \(String(cString: strerror(errno)))")
        }
    }

    private static func append(_ text: String, layout: String, to path: String) {
        let header = "\n===== labforge verify --image \(layout): container output (\(ISO8601DateFormatter().string(from: Date()))) =====\n"
        // The build log is a copy for the reader: when it cannot be written, the report still carries the tail.
        guard FileManager.default.fileExists(atPath: path) || FileManager.default.createFile(atPath: path, contents: nil),
              let handle = FileHandle(forWritingAtPath: path) else { return }
        defer { try? handle.close() }
        _ = try? handle.seekToEnd()
        try? handle.write(contentsOf: Data((header + text).utf8))
    }
}

extension ProbeTarget {
    /// The target as a `--probe` value (``parse(_:)`` reads it back).
    public var argument: String {
        switch self {
        case .webTerminal(let port, let path): return "web-terminal:\(port)/\(path)"
        case .webDesktop(let port, let path, _): return "web-desktop:\(port)/\(path)"
        case .ssh: return "ssh"
        case .cloudInit: return "cloud-init"
        case .guestAgent: return "guest-agent"
        case .secureBoot: return "secure-boot"
        case .desktopSession(let port, let path, let panel): return "desktop-session\(panel.map { "=" + $0 } ?? ""):\(port)/\(path)"
        case .desktopResize(let port, let path): return "desktop-resize:\(port)/\(path)"
        case .clipboard(let port, let path, let display, let enabled): return "\(enabled ? "clipboard" : "clipboard-off")=\(display):\(port)/\(path)"
        case .fileTransfer(let port, let path): return "file-transfer:\(port)/\(path)"
        case .labTasks, .homeReset, .idleStop: return name
        }
    }
}

extension ImageVerifier {
    /// The image label naming its probes (`web-terminal:7681/ws,web-desktop:6080/vnc.html`), written by the build.
    public static let probesLabel = "dev.labforge.probes"
    /// The image label naming the lab user (the credentials' user name).
    public static let userLabel = "dev.labforge.user"

    /// The probes and lab user an image's labels declare.
    /// - Parameters:
    ///   - layout: An OCI layout.
    ///   - tag: The tag, or nil for its only image.
    /// - Returns: The targets (empty when the image has no label) and the user (nil without label).
    /// - Throws: ``VerifyError/unusableImage(path:message:)``.
    public static func declaredProbes(layout: String, tag: String?) throws -> (targets: [ProbeTarget], user: String?) {
        do {
            let opened = try ImageLayout(path: layout)
            let labels = try opened.config(of: try opened.manifest(tag: tag).manifest).config?.Labels ?? [:]
            let targets = try (labels[probesLabel] ?? "").split(separator: ",").map { try ProbeTarget.parse(String($0)) }
            return (targets, labels[userLabel])
        } catch let error as VerifyError {
            throw error
        } catch {
            throw VerifyError.unusableImage(path: layout, message: "\(error)")
        }
    }
}
