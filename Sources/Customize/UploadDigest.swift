// The content digest of a host file or directory tree a recipe uploads: part of every cache key, so an
// edited file rebuilds the image even when the recipe's Swift source did not change.
import Crypto
import Foundation

/// sha256 over a host path's contents: for a tree, every entry's relative path, kind, mode and bytes.
public enum UploadDigest {
    /// Digests `path` (a file, a directory tree or a symlink).
    /// - Parameter path: Host path as written in the recipe.
    /// - Returns: Lower-case hex sha256; `missing` when the path does not exist (the build then fails on it).
    public static func of(_ path: String) -> String {
        let root = URL(fileURLWithPath: path).standardizedFileURL.path
        var hasher = SHA256()
        guard FileManager.default.fileExists(atPath: root) else { return "missing" }
        var entries = [""]
        if let walker = FileManager.default.enumerator(atPath: root) {
            while let relative = walker.nextObject() as? String { entries.append(relative) }
        }
        for relative in entries.sorted() {
            let full = relative.isEmpty ? root : root + "/" + relative
            var info = stat()
            guard lstat(full, &info) == 0 else { continue }
            let kind = info.st_mode & S_IFMT
            hasher.update(data: Data("\(relative)\u{0}\(kind)\u{0}\(info.st_mode & 0o7777)\u{0}".utf8))
            if kind == S_IFLNK, let target = try? FileManager.default.destinationOfSymbolicLink(atPath: full) {
                hasher.update(data: Data(target.utf8))
            } else if kind == S_IFREG, let handle = FileHandle(forReadingAtPath: full) {
                while let chunk = try? handle.read(upToCount: 1 << 20), !chunk.isEmpty { hasher.update(data: chunk) }
                try? handle.close()
            }
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}
