// What `labforge customize` reads of a base before it customizes it: disk or root tree archive, and an archive's
// architecture and Debian release.
import Foundation
import LabforgeRecipe
import ProcessRunner

/// The kind of a `--base` file and, for a root tree archive (a foreign architecture's base, `labforge base bootstrap
/// --arch arm64`), the architecture of its programs and its Debian release.
struct RootTreeArchiveFacts: Sendable, Equatable {
    /// The architecture of the tree's programs (its `usr/bin/true`).
    var architecture: Architecture
    /// `VERSION_CODENAME` of its `usr/lib/os-release` (`trixie`).
    var codename: String

    /// Whether `path` is a tar archive (POSIX or GNU: `ustar` at offset 257 of its first block); false for a disk
    /// (qcow2, raw) and for a file that cannot be read (the customizer names a missing base as it always did).
    /// - Parameter path: The `--base` file.
    /// - Returns: True for a root tree archive.
    static func isArchive(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        guard let block = try? handle.read(upToCount: 512), block.count == 512 else { return false }
        return block[257..<262].elementsEqual("ustar".utf8)
    }

    /// Reads the architecture and release of the tree in `archive` (GNU tar, the first copy of each file only).
    /// - Parameter archive: The root tree archive.
    /// - Returns: What it holds.
    /// - Throws: ``CustomizeBaseError/unreadableArchive(base:reason:)`` when a file is missing or tar fails,
    ///   ``CustomizeBaseError/unknownArchitecture(base:machine:)`` for a program of another architecture.
    static func read(_ archive: String) async throws -> RootTreeArchiveFacts {
        let program = try await member("./usr/bin/true", of: archive)
        // ELF: magic, then e_machine (little-endian) at offset 18.
        guard program.count >= 20, program.prefix(4).elementsEqual([0x7F, 0x45, 0x4C, 0x46]) else {
            throw CustomizeBaseError.unreadableArchive(base: archive, reason: "its usr/bin/true is not an ELF program")
        }
        let machine = Int(program[program.startIndex + 18]) | Int(program[program.startIndex + 19]) << 8
        let names = [62: "x86_64", 183: "aarch64"]
        guard let architecture = names[machine].flatMap(Architecture.init(machine:)) else {
            throw CustomizeBaseError.unknownArchitecture(base: archive, machine: "\(machine)")
        }
        let release = String(decoding: try await member("./usr/lib/os-release", of: archive), as: UTF8.self)
        let codename = release.split(separator: "\n").first { $0.hasPrefix("VERSION_CODENAME=") }
            .map { $0.dropFirst("VERSION_CODENAME=".count).trimmingCharacters(in: CharacterSet(charactersIn: "\"'")) }
        guard let codename, !codename.isEmpty else {
            throw CustomizeBaseError.unreadableArchive(base: archive, reason: "its usr/lib/os-release names no VERSION_CODENAME")
        }
        return RootTreeArchiveFacts(architecture: architecture, codename: codename)
    }

    /// One file of the archive, read with `tar -xO`.
    private static func member(_ name: String, of archive: String) async throws -> Data {
        let result = try await ChildProcess(["tar", "-xOf", archive, "--occurrence=1", name], timeout: .seconds(120)).run()
        guard result.status == 0, !result.stdout.isEmpty else {
            throw CustomizeBaseError.unreadableArchive(
                base: archive, reason: "tar -xO \(name) exited \(result.status): \(result.stderr.trimmingCharacters(in: .whitespacesAndNewlines).suffix(300))")
        }
        return result.stdout
    }
}
