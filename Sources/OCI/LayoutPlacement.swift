// Makes a layout appear atomically: written in a hidden temp directory beside the output (AtomicFile), then swapped in.
import AtomicFile
import Foundation
import Reporting
#if canImport(Glibc)
import Glibc
#endif

/// The temp directory a layout is written in (``AtomicFile``'s `.<name>.<16 hex>.partial` beside the output), put in
/// place when complete: renamed, or swapped with an existing layout in one step and the old one removed.
struct LayoutPlacement {
    let output: URL
    let temporary: URL

    /// Writes a layout at `output`: `fill` is handed the placement, whose temp directory exists (with
    /// `blobs/sha256`) and is locked (`flock`) for as long as it is written, so a later run can tell an abandoned one
    /// (a writer killed with SIGKILL) from one being written, and remove it.
    /// - Parameters:
    ///   - output: The layout directory; its parent is created when missing. Check it with ``checkOutput(_:force:)`` first.
    ///   - fill: Writes the layout into the placement.
    /// - Returns: What `fill` returned.
    /// - Throws: What `fill` threw, or ``ContainerDiskError/writeFailed(path:message:)``; the temp directory is gone either way.
    static func place<T>(at output: String, fill: (LayoutPlacement) throws -> T) throws -> T {
        let url = URL(fileURLWithPath: output).standardizedFileURL
        let parent = url.deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
        } catch {
            throw ContainerDiskError.writeFailed(path: parent.path, message: "\(error)")
        }
        removeAbandoned(beside: url)
        // Held until the rename is done: the temp directory is never unlocked while it holds a layout being written.
        var lock: Int32 = -1
        var registered: String?
        defer {
            if lock >= 0 { close(lock) }
            if let registered { Interruption.unregister(registered) }
        }
        do {
            return try AtomicFile.replace(url.path, replacingDirectory: true) { temporary in
                let placement = LayoutPlacement(output: url, temporary: URL(fileURLWithPath: temporary))
                do {
                    try FileManager.default.createDirectory(at: placement.blobs, withIntermediateDirectories: true)
                } catch {
                    throw ContainerDiskError.writeFailed(path: temporary, message: "\(error)")
                }
                Interruption.register(temporary)
                registered = temporary
                lock = open(temporary, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
                guard lock >= 0, flock(lock, LOCK_EX | LOCK_NB) == 0 else {
                    throw ContainerDiskError.writeFailed(path: temporary, message: "cannot lock it: \(String(cString: strerror(errno)))")
                }
                return try fill(placement)
            }
        } catch let error as AtomicFileError {
            throw ContainerDiskError.writeFailed(path: url.path, message: error.detail)
        }
    }

    /// Removes the temp directories of `output` that no writer holds (left by a run killed with SIGKILL); a concurrent
    /// run's own stays, locked.
    private static func removeAbandoned(beside output: URL) {
        let parent = output.deletingLastPathComponent()
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: parent.path) else { return }
        for name in names where name.hasPrefix(".\(output.lastPathComponent).") && AtomicFile.isTemporaryName(name) {
            let path = parent.appendingPathComponent(name).path
            let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard descriptor >= 0 else { continue }
            defer { close(descriptor) }
            if flock(descriptor, LOCK_EX | LOCK_NB) == 0 {
                // Abandoned, and still locked by this run while it goes; nothing to report if it cannot be removed.
                try? FileManager.default.removeItem(atPath: path)
            }
        }
    }
}
