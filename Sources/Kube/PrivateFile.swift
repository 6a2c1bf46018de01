// Files only their owner may read (Secrets, the credentials file): created with mode 0600, never wider.
import Foundation

/// Writes files holding secrets. The bytes go to a temporary file that `open(2)` creates with mode 0600
/// (`O_EXCL`, so nobody else's file is reused), which is then renamed over the target: at no moment does
/// the path, or any file holding the bytes, have group or world permissions.
public enum PrivateFile {
    /// The mode of every private file.
    public static let mode: mode_t = 0o600

    /// Writes `contents` to `path` with mode 0600, replacing what was there.
    /// - Parameters:
    ///   - contents: The text.
    ///   - path: The target path; its directory must exist.
    /// - Throws: ``KubeError/writeFailed(path:reason:)``.
    public static func write(_ contents: String, to path: String) throws {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let temporary = "\(directory)/.\(URL(fileURLWithPath: path).lastPathComponent).\(UInt64.random(in: 0...UInt64.max)).tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard descriptor >= 0 else { throw failure(path, errno) }
        var closed = false
        defer {
            if !closed { close(descriptor) }
            unlink(temporary)  // a no-op after the rename
        }
        // The umask can only narrow the mode; make it exactly 0600 so the owner can rewrite it next time.
        guard fchmod(descriptor, mode) == 0 else { throw failure(path, errno) }
        var bytes = Array(contents.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                throw failure(path, errno)
            }
            bytes = bytes.dropFirst(written)
        }
        guard fsync(descriptor) == 0 else { throw failure(path, errno) }
        closed = true
        guard close(descriptor) == 0 else { throw failure(path, errno) }
        guard rename(temporary, path) == 0 else { throw failure(path, errno) }
    }

    static func failure(_ path: String, _ code: Int32) -> KubeError {
        KubeError.writeFailed(path: path, reason: String(cString: strerror(code)))
    }
}
