// Errors of the atomic writer: each names the file that could not be replaced, the step and the system's reason.
#if canImport(Glibc)
import Glibc
#endif

/// A file that could not be replaced. The file at `path` is unchanged and no temporary file is left beside it.
public enum AtomicFileError: Error, CustomStringConvertible, Sendable, Equatable {
    /// A step of the write failed: `step` is what was attempted (`create`, `write`, `fsync`, `chmod 600`, `rename`),
    /// `temporary` the hidden file beside `path` it was attempted on, `reason` the system's message.
    case writeFailed(path: String, step: String, temporary: String, reason: String)

    public var description: String {
        switch self {
        case .writeFailed(let path, _, _, _):
            return "cannot write \(path): \(detail); check that the directory exists and is writable and that its file system has room"
        }
    }

    /// What failed without the target's path, for an error of the caller's that names the path itself:
    /// e.g. `rename of /out/.verify.json.0123456789abcdef.partial failed: Is a directory`.
    public var detail: String {
        switch self {
        case .writeFailed(_, let step, let temporary, let reason): return "\(step) of \(temporary) failed: \(reason)"
        }
    }

    /// The error for a failed system call, with `errno`'s message.
    static func system(path: String, step: String, temporary: String, code: Int32 = errno) -> AtomicFileError {
        .writeFailed(path: path, step: step, temporary: temporary, reason: String(cString: strerror(code)))
    }
}
