// Errors from libarchive, zlib, libdeflate and libzstd, carrying the library's own message.

/// A failure in archive writing or compression.
public enum ArchiveError: Error, CustomStringConvertible, Sendable, Equatable {
    /// A libarchive call failed; `message` is `archive_error_string`.
    case libarchive(call: String, message: String)
    /// zlib returned an error code.
    case zlib(call: String, code: Int32)
    /// libdeflate refused the level (1–12) or produced nothing.
    case deflate(level: Int32)
    /// libzstd returned an error.
    case zstd(call: String, message: String)
    /// Writing the output failed (disk full, closed pipe, …).
    case output(String)
    /// An entry's data did not match its declared size.
    case sizeMismatch(path: String, declared: Int64, written: Int64)

    public var description: String {
        switch self {
        case .libarchive(let call, let message): return "libarchive \(call): \(message)"
        case .zlib(let call, let code): return "zlib \(call) failed with code \(code)"
        case .deflate(let level): return "libdeflate could not compress at level \(level) (levels 1–12)"
        case .zstd(let call, let message): return "zstd \(call): \(message)"
        case .output(let message): return "writing the archive failed: \(message)"
        case .sizeMismatch(let path, let declared, let written):
            return "archive entry \(path): declared \(declared) bytes but \(written) were written (did the file change while it was read?)"
        }
    }
}
