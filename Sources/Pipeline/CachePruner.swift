// `labforge cache prune`: removes finished disks and step snapshots nobody used lately (never one in use).
import Foundation

/// Prunes the derived parts of the cache: `images/` (finished disks, verifications) and `snapshots/`.
/// Bases, downloads and artifacts are only removed when asked (they cost a download or a bootstrap).
public struct CachePruner: Sendable {
    /// What a prune removed.
    public struct Result: Sendable, Codable, Equatable {
        /// Removed files.
        public var removed: [String]
        /// Bytes freed (allocated).
        public var freedBytes: Int64
        /// Files kept because a build holds their lock.
        public var inUse: [String]
    }

    /// The cache root.
    public var root: String

    /// Prunes `root`.
    /// - Parameter root: The cache root.
    public init(root: String) {
        self.root = root
    }

    /// Removes entries not used for `olderThan` seconds (all when 0).
    /// - Parameters:
    ///   - olderThan: Age in seconds since last use (modification time; uses refresh it).
    ///   - includeBases: Also prune bases, downloads and artifacts.
    ///   - now: The current time.
    /// - Returns: What was removed.
    public func prune(olderThan: TimeInterval, includeBases: Bool = false, now: Date = Date()) -> Result {
        var result = Result(removed: [], freedBytes: 0, inUse: [])
        var directories = [root + "/images", root + "/snapshots"]
        if includeBases { directories += [root + "/bases/images", root + "/bases/downloads", root + "/artifacts"] }
        for directory in directories {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { continue }
            for name in names.sorted() where !name.hasSuffix(".lock") {
                let path = directory + "/" + name
                guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
                      let modified = attributes[.modificationDate] as? Date, now.timeIntervalSince(modified) >= olderThan
                else { continue }
                let stem = name.split(separator: ".").first.map(String.init) ?? name
                let lockPath = directory + "/" + stem + ".lock"
                if Self.isLocked(lockPath) {
                    result.inUse.append(path)
                    continue
                }
                let bytes = Self.allocatedBytes(path)
                if (try? FileManager.default.removeItem(atPath: path)) != nil {
                    result.removed.append(path)
                    result.freedBytes += bytes
                }
            }
        }
        return result
    }

    /// Whether a build holds `lockPath` right now.
    static func isLocked(_ lockPath: String) -> Bool {
        let fd = open(lockPath, O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else { return true }
        flock(fd, LOCK_UN)
        return false
    }

    static func allocatedBytes(_ path: String) -> Int64 {
        guard let walker = FileManager.default.enumerator(atPath: path) else { return FileWrite.allocatedBytes(path) }
        var total = FileWrite.allocatedBytes(path)
        while let relative = walker.nextObject() as? String { total += FileWrite.allocatedBytes(path + "/" + relative) }
        return total
    }
}
