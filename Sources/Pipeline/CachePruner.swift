// `labforge cache prune`: removes finished disks and step snapshots nobody used lately — never one a running
// build holds, never one a kept snapshot backs on.
import DiskImage
import Foundation

/// Prunes the derived parts of the cache: `images/` (finished disks, verifications, SBOMs) and `snapshots/`.
/// Bases, downloads and artifacts are only removed when asked (they cost a download or a bootstrap).
///
/// An entry is every file of one key (``CacheLocks/key(ofEntry:)``) and goes as a whole, only while this prune
/// holds its lock exclusive (taken without waiting: an entry a build holds is kept). An entry a kept snapshot backs
/// on (its qcow2 backing chain) is kept too, however old.
public struct CachePruner: Sendable {
    /// What a prune removed and what it kept although it was old.
    public struct Result: Sendable, Codable, Equatable {
        /// Removed files.
        public var removed: [String]
        /// Bytes freed (allocated).
        public var freedBytes: Int64
        /// Files kept because a build holds their lock.
        public var inUse: [String]
        /// Files kept because a kept snapshot backs on them.
        public var backing: [String]
    }

    /// The cache root.
    public var root: String

    /// Prunes `root`.
    /// - Parameter root: The cache root.
    public init(root: String) {
        self.root = root
    }

    private struct Entry {
        var files: [String] = []
        var newest = Date.distantPast
    }

    /// Removes entries not used for `olderThan` seconds (all when 0).
    /// - Parameters:
    ///   - olderThan: Age in seconds since last use (modification time; uses refresh it).
    ///   - includeBases: Also prune bases, downloads and artifacts.
    ///   - now: The current time.
    /// - Returns: What was removed and kept.
    /// - Throws: ``DiskImageError/lockFailed(path:reason:)`` or ``DiskImageError/directoryUnusable(path:reason:)`` when
    ///   the cache's locks cannot be used (nothing is removed without its lock).
    public func prune(olderThan: TimeInterval, includeBases: Bool = false, now: Date = Date()) throws -> Result {
        var result = Result(removed: [], freedBytes: 0, inUse: [], backing: [])
        var directories = [root + "/images", root + "/snapshots"]
        if includeBases { directories += [root + "/bases/images", root + "/bases/downloads", root + "/artifacts"] }
        // Every file of a key, across the directories (a base's image and its download share their key).
        var entries: [String: Entry] = [:]
        for directory in directories {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { continue }
            for name in names {
                let path = directory + "/" + name
                let key = CacheLocks.key(ofEntry: name)
                guard !key.isEmpty else { continue }
                let modified = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date ?? .distantPast
                entries[key, default: Entry()].files.append(path)
                entries[key]!.newest = max(entries[key]!.newest, modified)
            }
        }
        let locks = CacheLocks(root: root)
        // Take every old entry that nobody holds; the others are kept.
        var owned: [String: FileLock] = [:]
        for (key, entry) in entries.sorted(by: { $0.key < $1.key }) where now.timeIntervalSince(entry.newest) >= olderThan {
            if let lock = try locks.ownIfFree(key) {
                owned[key] = lock
            } else {
                result.inUse += entry.files.sorted()
            }
        }
        defer { for lock in owned.values { lock.release() } }
        // What a kept snapshot backs on stays: follow each kept qcow2's backing file, entry by entry.
        var pending = entries.filter { owned[$0.key] == nil }.flatMap { $0.value.files }.filter { $0.hasSuffix(".qcow2") }
        while let file = pending.popLast() {
            guard let backing = (try? QemuImg.info(file))?.backingFile else { continue }
            let key = CacheLocks.key(ofEntry: URL(fileURLWithPath: backing).lastPathComponent)
            guard directories.contains(URL(fileURLWithPath: backing).deletingLastPathComponent().path),
                  let lock = owned.removeValue(forKey: key), let entry = entries[key]
            else { continue }
            lock.release()
            result.backing += entry.files.sorted()
            pending += entry.files.filter { $0.hasSuffix(".qcow2") }
        }
        for key in owned.keys.sorted() {
            for path in entries[key]!.files.sorted() {
                let bytes = Self.allocatedBytes(path)
                if (try? FileManager.default.removeItem(atPath: path)) != nil {
                    result.removed.append(path)
                    result.freedBytes += bytes
                }
            }
        }
        return result
    }

    static func allocatedBytes(_ path: String) -> Int64 {
        guard let walker = FileManager.default.enumerator(atPath: path) else { return DiskFile.allocatedBytes(path) }
        var total = DiskFile.allocatedBytes(path)
        while let relative = walker.nextObject() as? String { total += DiskFile.allocatedBytes(path + "/" + relative) }
        return total
    }
}
