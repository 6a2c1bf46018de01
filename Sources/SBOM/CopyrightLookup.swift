// Finding a Debian package's copyright file when its documentation directory is a link to a sibling's.
import Foundation

/// The one rule for following `/usr/share/doc/PKG` links, shared by the disk and the root-tree readers.
enum CopyrightLookup {
    /// The text of `name`'s copyright file.
    ///
    /// A documentation directory that is a symlink to a sibling (`libfoo` → `libfoo-common`), possibly chained (at most
    /// four hops), is followed by name only: never an absolute path, a parent or a hidden entry.
    /// - Parameters:
    ///   - name: The package name.
    ///   - file: The copyright file's bytes in a documentation directory, if it is there.
    ///   - link: The target of a documentation directory that is a symbolic link, if it is one.
    /// - Returns: The text, or nil.
    static func text(of name: String, file: (String) -> Data?, link: (String) -> String?) -> String? {
        var directory = name
        for _ in 0..<4 {
            if let bytes = file(directory) { return String(decoding: bytes, as: UTF8.self) }
            guard let target = link(directory), !target.contains("/") || target.hasSuffix("/") && !target.dropLast().contains("/"),
                  !target.hasPrefix(".") else { return nil }
            directory = target.hasSuffix("/") ? String(target.dropLast()) : target
        }
        return nil
    }
}
