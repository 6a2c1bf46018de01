// Files only their owner may read (Secrets, the credentials file): created with mode 0600, never wider.
import AtomicFile
import Foundation

/// Writes files holding secrets through ``AtomicFile``: the temporary file beside the target is created with mode
/// 0600 (`O_EXCL`, so nobody else's file is reused) and renamed over the target, so at no moment does the path, or
/// any file holding the bytes, have group or world permissions.
public enum PrivateFile {
    /// The mode of every private file.
    public static let mode: mode_t = 0o600

    /// Writes `contents` to `path` with mode 0600, replacing what was there.
    /// - Parameters:
    ///   - contents: The text.
    ///   - path: The target path; its directory must exist.
    /// - Throws: ``KubeError/writeFailed(path:reason:)``.
    public static func write(_ contents: String, to path: String) throws {
        do {
            try AtomicFile.write(Data(contents.utf8), to: path, mode: mode)
        } catch {
            throw KubeError.writeFailed(path: path, reason: error.detail)
        }
    }
}
