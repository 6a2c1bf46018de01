// The content digest of a host file or directory tree a recipe uploads: part of every cache key, so an
// edited file rebuilds the image even when the recipe's Swift source did not change.
import Crypto
import Foundation

/// sha256 over a host path's contents: for a tree, every entry's relative path, kind, mode and bytes.
public enum UploadDigest {
    /// Digests `path` (a file, a directory tree or a symlink).
    /// - Parameter path: Host path as written in the recipe.
    /// - Returns: Lower-case hex sha256.
    /// - Throws: ``CustomizeError/uploadUnreadable(path:reason:)`` naming the file or directory that is missing or
    ///   cannot be read: an upload whose contents cannot be named cannot be part of a cache key.
    public static func of(_ path: String) throws -> String {
        let root = URL(fileURLWithPath: path).standardizedFileURL.path
        var hasher = SHA256()
        var info = stat()
        guard lstat(root, &info) == 0 else { throw CustomizeError.uploadUnreadable(path: root, reason: String(cString: strerror(errno))) }
        var entries = [""]
        if info.st_mode & S_IFMT == S_IFDIR {
            guard let walker = FileManager.default.enumerator(atPath: root), access(root, R_OK | X_OK) == 0 else {
                throw CustomizeError.uploadUnreadable(path: root, reason: "cannot list the directory")
            }
            while let relative = walker.nextObject() as? String { entries.append(relative) }
        }
        for relative in entries.sorted() {
            let full = relative.isEmpty ? root : root + "/" + relative
            guard lstat(full, &info) == 0 else { throw CustomizeError.uploadUnreadable(path: full, reason: String(cString: strerror(errno))) }
            let kind = info.st_mode & S_IFMT
            hasher.update(data: Data("\(relative)\u{0}\(kind)\u{0}\(info.st_mode & 0o7777)\u{0}".utf8))
            switch kind {
            case S_IFLNK:
                do {
                    hasher.update(data: Data(try FileManager.default.destinationOfSymbolicLink(atPath: full).utf8))
                } catch {
                    throw CustomizeError.uploadUnreadable(path: full, reason: "cannot read the link: \(error.localizedDescription)")
                }
            case S_IFREG:
                try digestContents(of: full, into: &hasher)
            case S_IFDIR:
                // A subdirectory the walker could not enter would silently drop its files.
                guard access(full, R_OK | X_OK) == 0 else { throw CustomizeError.uploadUnreadable(path: full, reason: "cannot list the directory") }
            default:
                break
            }
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    private static func digestContents(of path: String, into hasher: inout SHA256) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw CustomizeError.uploadUnreadable(path: path, reason: String(cString: strerror(errno)))
        }
        defer { try? handle.close() }
        do {
            while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { hasher.update(data: chunk) }
        } catch {
            throw CustomizeError.uploadUnreadable(path: path, reason: error.localizedDescription)
        }
    }
}
