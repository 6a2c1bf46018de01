// Makes a layout appear atomically: written in a hidden temp directory beside the output, then renamed.
import CLinux
import Foundation
import Reporting
#if canImport(Glibc)
import Glibc
#endif

/// A temp directory next to the final output, renamed into place when complete.
struct LayoutPlacement {
    let output: URL
    let temporary: URL

    /// Prepares a temp directory for `output`, removing stale ones left by killed runs.
    init(output: String) throws {
        self.output = URL(fileURLWithPath: output).standardizedFileURL
        let parent = self.output.deletingLastPathComponent()
        let prefix = ".\(self.output.lastPathComponent).partial-"
        Self.removeStalePartials(in: parent, prefix: prefix)
        temporary = parent.appendingPathComponent("\(prefix)\(getpid())-\(UUID().uuidString.prefix(8))")
        do {
            try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(at: temporary.appendingPathComponent("blobs/sha256"), withIntermediateDirectories: true)
        } catch {
            throw ContainerDiskError.writeFailed(path: temporary.path, message: "\(error)")
        }
        Interruption.register(temporary.path)
    }

    /// Moves the temp directory to the output; an existing output is swapped out atomically and removed.
    func commit() throws {
        defer { Interruption.unregister(temporary.path) }
        if FileManager.default.fileExists(atPath: output.path) {
            // RENAME_EXCHANGE swaps both names in one step: readers see the old layout or the new one.
            guard labforge_exchange_paths(temporary.path, output.path) == 0 else {
                throw ContainerDiskError.writeFailed(path: output.path, message: String(cString: strerror(errno)))
            }
            try? FileManager.default.removeItem(at: temporary)
        } else {
            guard rename(temporary.path, output.path) == 0 else {
                throw ContainerDiskError.writeFailed(path: output.path, message: String(cString: strerror(errno)))
            }
        }
    }

    /// Removes the temp directory (on failure).
    func discard() {
        try? FileManager.default.removeItem(at: temporary)
        Interruption.unregister(temporary.path)
    }

    private static func removeStalePartials(in parent: URL, prefix: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: parent.path) else { return }
        for name in names where name.hasPrefix(prefix) {
            let pidText = name.dropFirst(prefix.count).prefix { $0 != "-" }
            // Only remove directories whose writer is gone; a concurrent run keeps its own.
            if let pid = Int32(pidText), kill(pid, 0) == -1, errno == ESRCH {
                try? FileManager.default.removeItem(at: parent.appendingPathComponent(name))
            }
        }
    }
}
