// Why `labforge package` refused or failed, naming the file or option at fault.
import DiskImage

/// A refusal or failure of containerDisk packaging.
public enum ContainerDiskError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The input disk breaks a KubeVirt rule.
    case input(DiskImageError)
    /// The output exists and `--force` was not given.
    case outputExists(path: String)
    /// `--force` was given but the output is not an OCI layout labforge may replace.
    case outputNotALayout(path: String)
    /// An annotation that is not `key=value`.
    case invalidAnnotation(String)
    /// The disk changed size while it was read.
    case diskChanged(path: String, expected: Int64, read: Int64)
    /// Reading the disk failed.
    case readFailed(path: String, message: String)
    /// Writing the layout failed.
    case writeFailed(path: String, message: String)

    public var description: String {
        switch self {
        case .input(let error): return error.description
        case .outputExists(let path):
            return "\(path): already exists; pass --force to replace it"
        case .outputNotALayout(let path):
            return "\(path): exists and is not an OCI image layout; refusing to replace it even with --force (remove it yourself)"
        case .invalidAnnotation(let value):
            return "invalid annotation '\(value)': expected key=value"
        case .diskChanged(let path, let expected, let read):
            return "\(path): the file changed while it was packaged (expected \(expected) bytes, read \(read)); do not write to a disk while packaging it"
        case .readFailed(let path, let message):
            return "\(path): read failed: \(message)"
        case .writeFailed(let path, let message):
            return "\(path): write failed: \(message)"
        }
    }
}
