// What can go wrong when starting or waiting for a host program.

/// A host program that could not be run at all. A program that ran and exited non-zero is not an error here:
/// the caller reads ``ChildProcessResult/status`` and says what the failure means.
public enum ChildProcessError: Error, Equatable, CustomStringConvertible {
    /// No executable of that name in `PATH`.
    case programMissing(program: String)
    /// The program exists but could not be started (permissions, bad working directory, input file…).
    case startFailed(program: String, reason: String)
    /// Reading its output or waiting for it failed.
    case monitoringFailed(program: String, reason: String)

    public var description: String {
        switch self {
        case .programMissing(let program):
            return "\(program) was not found in PATH"
        case .startFailed(let program, let reason):
            return "cannot start \(program): \(reason)"
        case .monitoringFailed(let program, let reason):
            return "lost track of \(program): \(reason)"
        }
    }
}
