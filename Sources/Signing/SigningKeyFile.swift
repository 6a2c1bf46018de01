// Reads a signing key file the way ssh reads a private key: only when it is yours and nobody else may read it.
#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A signing key's file, checked on the descriptor that is read (no window between the check and the read).
enum SigningKeyFile {
    /// The PEM text of `path` (a regular file, or a pipe such as `--sign-key <(pass show labforge/key)`).
    /// - Parameter path: The key file; a symbolic link is followed and the file it names is checked.
    /// - Returns: The file's text.
    /// - Throws: ``SigningError/keyFileTooOpen(path:mode:)`` when its group or others have any access,
    ///   ``SigningError/keyFileNotOwned(path:owner:user:)`` when another user owns it,
    ///   ``SigningError/keyUnreadable(source:reason:)`` when it cannot be opened or read or is not a file.
    static func read(_ path: String) throws -> String {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw SigningError.keyUnreadable(source: path, reason: String(cString: strerror(errno))) }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        var facts = stat()
        guard fstat(descriptor, &facts) == 0 else {
            throw SigningError.keyUnreadable(source: path, reason: String(cString: strerror(errno)))
        }
        let kind = facts.st_mode & S_IFMT
        guard kind == S_IFREG || kind == S_IFIFO else {
            throw SigningError.keyUnreadable(source: path, reason: "not a regular file")
        }
        let user = geteuid()
        guard facts.st_uid == user else { throw SigningError.keyFileNotOwned(path: path, owner: facts.st_uid, user: user) }
        guard facts.st_mode & 0o077 == 0 else { throw SigningError.keyFileTooOpen(path: path, mode: facts.st_mode & 0o7777) }
        let data: Data
        do { data = try handle.readToEnd() ?? Data() } catch {
            throw SigningError.keyUnreadable(source: path, reason: (error as NSError).localizedDescription)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw SigningError.keyUnreadable(source: path, reason: "not UTF-8 text (a PEM file is ASCII)")
        }
        return text
    }
}
