// Removes a scratch file or tree, never across a mount point, and says what it left and why.
import Foundation

/// A scratch path that could not be removed, and why (the words shown to the user after "left").
public struct LeftScratch: Sendable, Equatable, CustomStringConvertible {
    /// The file or directory still on disk.
    public var path: String
    /// Why it is still there, and what to do about it.
    public var reason: String

    /// Records a path left behind.
    /// - Parameters:
    ///   - path: The file or directory.
    ///   - reason: Why it could not be removed.
    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    /// `PATH: REASON`.
    public var description: String { "\(path): \(reason)" }
}

/// The one way scratch is deleted: a recursive delete that refuses a tree with anything mounted inside it.
///
/// A chroot's `/proc`, `/sys` and `/dev` mounted inside a scratch tree are the host's: a recursive delete would walk
/// into them (and on `/sys`, remove empty cgroup directories). Bootstraps run their mounts in a private mount namespace,
/// so none can be seen here; this check is the last guard should one ever be.
public enum ScratchRemoval {
    /// Removes `path` (a file or a whole tree) unless something is mounted at or below it.
    /// - Parameter path: An absolute path; a path that does not exist counts as removed.
    /// - Returns: `nil` once nothing is left at `path`; otherwise what was left and why.
    public static func remove(_ path: String) -> LeftScratch? {
        let mounts = MountTable.mountPoints(under: path)
        guard mounts.isEmpty else {
            return LeftScratch(
                path: path,
                reason: "still mounted inside it: \(mounts.joined(separator: ", ")); not removed, so that nothing mounted there is deleted "
                    + "(run `umount -R` on each, then remove it)")
        }
        // attributesOfItem does not follow a symbolic link: a dangling one is still something to remove.
        guard (try? FileManager.default.attributesOfItem(atPath: path)) != nil else { return nil }
        do {
            try FileManager.default.removeItem(atPath: path)
            return nil
        } catch {
            // Another remover (the command's own cleanup while the interrupt's runs) may have taken it first.
            guard (try? FileManager.default.attributesOfItem(atPath: path)) != nil else { return nil }
            return LeftScratch(path: path, reason: "cannot remove it: \(error.localizedDescription)")
        }
    }
}
