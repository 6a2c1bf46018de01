// A build log file: every guest command and its output, stage headers, written from several threads.
import Foundation
import Synchronization

/// An append-only log file, serialized (libguestfs' event thread and the build write to it at once).
public final class BuildLog: Sendable {
    /// The file's path.
    public let path: String
    private let handle: Mutex<FileHandle?>

    /// The log's permission bits: owner and group only (it holds every guest command and its output).
    public static let mode = 0o640

    /// Creates (truncates) the log at `path`, mode 0640.
    /// - Parameter path: The log file; its directory must exist.
    /// - Returns: nil when the file cannot be created.
    public init?(path: String) {
        guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: Self.mode]),
              (try? FileManager.default.setAttributes([.posixPermissions: Self.mode], ofItemAtPath: path)) != nil,
              let handle = FileHandle(forWritingAtPath: path)
        else {
            return nil
        }
        self.path = path
        self.handle = Mutex(handle)
    }

    /// Appends text as is.
    /// - Parameter text: Usually one or more whole lines.
    public func write(_ text: String) {
        handle.withLock { try? $0?.write(contentsOf: Data(text.utf8)) }
    }

    /// Appends one line prefixed with the UTC time.
    /// - Parameter line: The line, without its newline.
    public func line(_ line: String) {
        write(Date().formatted(.iso8601) + " " + line + "\n")
    }

    /// Closes the file; later writes are dropped.
    public func close() {
        handle.withLock {
            try? $0?.close()
            $0 = nil
        }
    }
}
