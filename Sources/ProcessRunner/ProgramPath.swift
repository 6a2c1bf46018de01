// The one PATH lookup: where a host program lives, before anything is started.
import Foundation

/// Finds host programs the way a shell would, plus the sbin directories a non-root PATH often lacks
/// (mke2fs, sfdisk and mkfs.vfat live there).
public enum ProgramPath {
    /// The directories searched when `PATH` is unset.
    static let fallbackSearchPath = "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"

    /// The absolute path of `program`, or nil when no directory holds an executable of that name.
    /// - Parameters:
    ///   - program: A bare name (`qemu-img`) or a path (`/usr/bin/env`, `./tool`), which is taken as it is.
    ///   - searchPath: A `PATH` value; the process's own by default.
    /// - Returns: The path to start.
    public static func find(_ program: String, searchPath: String? = nil) -> String? {
        if program.contains("/") {
            return FileManager.default.isExecutableFile(atPath: program) ? program : nil
        }
        let path = searchPath ?? ProcessInfo.processInfo.environment["PATH"] ?? fallbackSearchPath
        let directories = path.split(separator: ":").map(String.init) + ["/usr/sbin", "/sbin"]
        for directory in directories where !directory.isEmpty {
            let candidate = directory + "/" + program
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}
