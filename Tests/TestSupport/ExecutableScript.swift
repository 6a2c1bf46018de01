// Writes a small executable a test runs (a fake qemu): opened close-on-exec, so no child another test spawns meanwhile
// inherits the open file and makes running it fail with "Text file busy".
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A shell script written for a test to run.
public enum ExecutableScript {
    /// Writes `text` to `path` with mode 0755.
    /// - Parameters:
    ///   - text: The script.
    ///   - path: Where it goes.
    /// - Throws: `CocoaError` naming the path when it cannot be written.
    public static func write(_ text: String, to path: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o755)
        guard descriptor >= 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path]) }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
        let closed = close(descriptor)
        guard written == bytes.count, closed == 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path]) }
        guard chmod(path, 0o755) == 0 else { throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path]) }
    }
}
