// The disk files of an image's output: hard links into the cache (a copy when they cannot be), identity and size.
import AtomicFile
import DiskImage
import Foundation

/// A disk file in the output directory: linked from the cache, compared, measured. (Every other output is written
/// through ``AtomicFile``.)
enum DiskFile {
    /// Puts a disk `source` at `path` as a hard link (no copy of a multi-GiB disk; it shares the cached disk's
    /// 0640), else a copy made 0640; atomically.
    static func link(_ source: String, to path: String) throws {
        // No fsync: the disk is rebuilt from the cache when lost, and flushing a copy of GiBs costs seconds.
        try AtomicFile.replace(path, sync: false) { partial in
            if Foundation.link(source, partial) != 0 {
                try FileManager.default.copyItem(atPath: source, toPath: partial)
                try FileAccess.setMode(partial, FileAccess.diskFileMode)
            }
        }
    }

    /// Whether two paths are the same file (same device and inode).
    static func sameFile(_ a: String, _ b: String) -> Bool {
        var x = stat()
        var y = stat()
        guard stat(a, &x) == 0, stat(b, &y) == 0 else { return false }
        return x.st_dev == y.st_dev && x.st_ino == y.st_ino
    }

    /// Allocated bytes of a file (0 when missing).
    static func allocatedBytes(_ path: String) -> Int64 {
        var info = stat()
        guard stat(path, &info) == 0 else { return 0 }
        return Int64(info.st_blocks) * 512
    }
}
