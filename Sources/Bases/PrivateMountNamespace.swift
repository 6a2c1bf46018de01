// Runs a program that mounts (mmdebstrap's root mode) in private mount and PID namespaces: no mount and no process of it outlives it.
import Foundation

/// A mount and PID namespace of a program's own, made by util-linux's `unshare --mount --propagation private --pid
/// --fork --kill-child`.
///
/// `unshare` stays in the caller's process group and the program (PID 1 of the new namespace) with it, so the
/// process-group SIGTERM/SIGKILL that ends children on interrupt reaches both; `unshare` ends the program with SIGKILL
/// when it is itself ended. The PID namespace is what makes that final: when its PID 1 exits the kernel kills every
/// process left in it, a process that left the group included — apt runs dpkg in a session of its own, and a dpkg
/// that outlived an interrupted bootstrap kept writing into the tree being removed (seen in CI). The program's mounts
/// (a chroot's `/proc`, `/sys`, `/dev/pts`, `/dev/shm`) are made in the new mount namespace, and private propagation
/// keeps them from the host's: the host never sees them, and they vanish with the namespace however it ends.
public enum PrivateMountNamespace {
    /// util-linux's `unshare`.
    static let unshare = PackagedTool(name: "unshare", package: "util-linux")

    /// The `unshare` arguments that run `executable arguments…` in a new private mount namespace and PID namespace.
    /// - Parameters:
    ///   - executable: The program's absolute path.
    ///   - arguments: Its arguments.
    /// - Returns: Arguments for `unshare`.
    public static func unshareArguments(executable: String, _ arguments: [String]) -> [String] {
        ["--mount", "--propagation", "private", "--pid", "--fork", "--kill-child", "--", executable] + arguments
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
