// Debian 13's containerd (scripts/peer-tools.sh), started as root on a private root, state and socket under a temp
// directory, so a test can pull and unpack an image as a Kubernetes node would, and stopped after.
#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A containerd owned by one test, driven with `ctr`.
public final class PrivateContainerd: @unchecked Sendable {
    /// Its scratch directory (config, root, state, socket, log).
    public let directory: TemporaryDirectory
    /// The gRPC socket `ctr -a` talks to.
    public var socket: String { directory.appending("containerd.sock") }
    /// The native snapshotter's snapshot directories: an unpacked image's files, as a container would see them.
    public var nativeSnapshots: String { directory.appending("root/io.containerd.snapshotter.v1.native/snapshots") }
    private let process: Process
    private let ctrPath: String

    /// Why containerd cannot run here, or nil when it can: it needs root (its snapshots keep the image's owners).
    public static var unavailableReason: String? {
        getuid() == 0 ? nil : "containerd unpacks images with their owners (107:107) only as root; run as root"
    }

    /// Starts containerd (CRI plugin off) and waits until its socket answers.
    /// - Throws: ``CommandFailure`` when it does not start.
    public init() async throws {
        directory = try TemporaryDirectory(prefix: "labforge-containerd")
        let config = directory.appending("config.toml")
        try """
            version = 2
            root = "\(directory.appending("root"))"
            state = "\(directory.appending("state"))"
            disabled_plugins = ["io.containerd.grpc.v1.cri"]
            [grpc]
              address = "\(directory.appending("containerd.sock"))"
            [ttrpc]
              address = "\(directory.appending("containerd.sock.ttrpc"))"

            """.write(toFile: config, atomically: true, encoding: .utf8)
        ctrPath = try await PeerTools.path("ctr")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try await PeerTools.path("containerd"))
        process.arguments = ["--config", config]
        let logPath = directory.appending("containerd.log")
        try Data().write(to: URL(fileURLWithPath: logPath))
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
        self.process = process
        // Bounded: 300 tries of `ctr version` 0.1 s apart.
        for _ in 0..<300 {
            guard process.isRunning else { break }
            if FileManager.default.fileExists(atPath: socket), (try await Command.run([ctrPath, "-a", socket, "version"])).status == 0 { return }
            try await Task.sleep(nanoseconds: 100_000_000)
        }
        stop()
        let logText = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "no log"
        throw CommandFailure(
            command: ["containerd", "--config", config],
            result: CommandResult(status: process.terminationStatus, stdout: "", stderr: String(logText.suffix(4000)), stdoutData: Data(), seconds: 0))
    }

    /// Runs `ctr -a <socket> -n labforge <arguments>`.
    /// - Parameter arguments: The ctr subcommand and its arguments.
    /// - Returns: Its status and output.
    /// - Throws: When ctr cannot be started.
    public func ctr(_ arguments: [String]) async throws -> CommandResult {
        try await Command.run([ctrPath, "-a", socket, "-n", "labforge"] + arguments)
    }

    /// Stops containerd (SIGTERM: it closes its database and socket) and waits for it; idempotent.
    public func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }

    // The directory goes with it (TemporaryDirectory's deinit), after containerd has stopped.
    deinit { stop() }
}
