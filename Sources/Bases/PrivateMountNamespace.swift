// Runs a program that mounts (mmdebstrap's root mode) in a private mount namespace, so no mount of it outlives it on the host.
import Foundation

/// A mount namespace of a program's own, made by util-linux's `unshare --mount --propagation private` just before it
/// execs the program.
///
/// The program keeps its PID and its process group (`unshare` execs it without forking), so the process-group
/// SIGTERM/SIGKILL that ends children on interrupt still reaches it and everything it starts. Its mounts (a
/// chroot's `/proc`, `/sys`, `/dev/pts`, `/dev/shm`) are made in the new namespace, and private propagation keeps
/// them from reaching the host's: the host never sees them, and they vanish with the namespace when its last process
/// exits, however it ends — a clean exit, SIGTERM, SIGINT, or SIGKILL of it or of labforge.
enum PrivateMountNamespace {
    /// util-linux's `unshare`.
    static let unshare = PackagedTool(name: "unshare", package: "util-linux")

    /// The `unshare` arguments that run `executable arguments…` in a new private mount namespace.
    /// - Parameters:
    ///   - executable: The program's absolute path.
    ///   - arguments: Its arguments.
    /// - Returns: Arguments for `unshare`.
    static func unshareArguments(executable: String, _ arguments: [String]) -> [String] {
        ["--mount", "--propagation", "private", "--", executable] + arguments
    }

    /// Runs `tool` in a private mount namespace of its own (through ``PackagedTool/run(_:environment:standardInput:standardOutput:output:)``
    /// and so the one process runner).
    /// - Parameters:
    ///   - tool: The program that mounts.
    ///   - arguments: Its arguments.
    ///   - environment: Extra environment variables.
    ///   - output: Receives its output line by line.
    /// - Returns: Its captured output.
    /// - Throws: ``BasesError/toolFailed(tool:arguments:status:output:)`` naming `tool` (its output holds `unshare`'s
    ///   own message when the namespace could not be made, e.g. without CAP_SYS_ADMIN),
    ///   ``BasesError/toolMissing(tool:package:)`` for `tool` or `unshare`.
    @discardableResult
    static func run(
        _ tool: PackagedTool, _ arguments: [String], environment: [String: String] = [:], output: (@Sendable (String) -> Void)?
    ) async throws -> String {
        let executable = try tool.executable().path
        do {
            return try await unshare.run(unshareArguments(executable: executable, arguments), environment: environment, output: output)
        } catch BasesError.toolFailed(_, _, let status, let text) {
            throw BasesError.toolFailed(tool: tool.name, arguments: arguments, status: status, output: text)
        }
    }
}
