// Whether this host can run another architecture's programs (qemu-user through binfmt_misc), as a foreign mmdebstrap needs.
import Foundation
import LabforgeRecipe
#if canImport(Glibc)
import Glibc
#endif

/// The check made before a bootstrap of an architecture that is not the host's: mmdebstrap runs the tree's
/// maintainer scripts in a chroot, so the kernel must hand that architecture's programs to Debian's `qemu-user-static`
/// (binfmt_misc mounted, the handler — ``Architecture/binfmtHandler`` — enabled, with the F flag so the interpreter
/// is opened once and works inside the chroot).
public enum ForeignArchitecture {
    /// Where the kernel's binfmt_misc file system is mounted.
    public static let binfmtDirectory = "/proc/sys/fs/binfmt_misc"

    /// This host's architecture (`uname -m`), nil for one labforge does not build.
    public static var host: Architecture? {
        var system = utsname()
        guard uname(&system) == 0 else { return nil }
        let machine = withUnsafeBytes(of: &system.machine) { bytes in
            String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        }
        return Architecture(machine: machine)
    }

    /// Whether `architecture` is not the host's (its programs run under qemu-user).
    /// - Parameter architecture: The tree's architecture.
    /// - Returns: True for a foreign architecture.
    public static func isForeign(_ architecture: Architecture) -> Bool { architecture != host }

    /// Checks that the host runs `architecture`'s programs; nothing to check for the host's own.
    /// - Parameters:
    ///   - architecture: The architecture to bootstrap.
    ///   - binfmtDirectory: The binfmt_misc mount (tests pass a directory of their own).
    /// - Throws: ``BasesError/foreignArchitectureUnsupported(architecture:missing:)`` naming what is missing.
    public static func check(_ architecture: Architecture, binfmtDirectory: String = ForeignArchitecture.binfmtDirectory) throws {
        guard isForeign(architecture) else { return }
        let files = FileManager.default
        guard files.fileExists(atPath: binfmtDirectory + "/status") else {
            throw BasesError.foreignArchitectureUnsupported(architecture: architecture.rawValue, missing: "binfmt_misc is not mounted at \(binfmtDirectory)")
        }
        let handler = binfmtDirectory + "/" + architecture.binfmtHandler
        guard let text = try? String(contentsOfFile: handler, encoding: .utf8) else {
            throw BasesError.foreignArchitectureUnsupported(architecture: architecture.rawValue, missing: "no binfmt_misc handler \(handler)")
        }
        let lines = text.split(separator: "\n").map(String.init)
        guard lines.first == "enabled" else {
            throw BasesError.foreignArchitectureUnsupported(architecture: architecture.rawValue, missing: "the binfmt_misc handler \(handler) is disabled")
        }
        let flags = lines.first { $0.hasPrefix("flags:") }.map { $0.dropFirst("flags:".count) } ?? ""
        guard flags.contains("F") else {
            throw BasesError.foreignArchitectureUnsupported(
                architecture: architecture.rawValue, missing: "the binfmt_misc handler \(handler) lacks the F flag (fix-binary: Debian's qemu-user-static sets it)")
        }
    }
}
