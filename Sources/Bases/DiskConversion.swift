// Verified download → plain qcow2: decompress (xz, gzip), check with qemu-img, convert when needed.
import DiskImage
import Foundation
import LabforgeRecipe
import Reporting

/// Turns a verified file into the qcow2 the pipeline reads.
///
/// Decompression runs `xz -dc` / `gzip -dc` as subprocesses: the tools are on every Debian system,
/// stream with constant memory, use their own threads, and only ever see bytes whose checksum was
/// already verified (the published checksum is of the compressed file). libarchive's raw filters
/// would do the same in-process, but they belong to the Archive module and buy nothing here.
enum DiskConversion {
    /// Writes `output` as a qcow2 made from `input`.
    /// - Parameters:
    ///   - input: Verified download (or local file).
    ///   - compression: How `input` is compressed.
    ///   - format: Disk format after decompression.
    ///   - output: Path to write (the caller renames it into place).
    ///   - scratch: Directory for the decompressed intermediate (same filesystem as the cache).
    ///   - keepInput: Leave `input` alone (local files); otherwise it may be moved.
    /// - Throws: ``BasesError/toolFailed(tool:arguments:status:output:)`` and format errors.
    static func toQcow2(
        _ input: String, compression: DownloadCompression, format: DiskFormat, output: String, scratch: String, keepInput: Bool = false
    ) async throws {
        var source = input
        var intermediate: String?
        defer { if let intermediate { try? FileManager.default.removeItem(atPath: intermediate) } }
        if compression != .none {
            let path = "\(scratch)/.\(UUID().uuidString).decompressed"
            intermediate = path
            let tool: PackagedTool = compression == .xz ? .xz : .gzip
            try await tool.run(["-dc", input], standardOutput: path)
            source = path
        }
        // A disk naming a backing file (or data file, or extent) could read any file on this machine.
        try await checkSelfContained(source, format: format)
        if format == .qcow2 {
            if keepInput && source == input {
                try FileManager.default.copyItem(atPath: source, toPath: output)
            } else {
                try FileManager.default.moveItem(atPath: source, toPath: output)
                if source == intermediate { intermediate = nil }
            }
            return
        }
        try await PackagedTool.qemuImg.run(["convert", "-q", "-f", format.rawValue, "-O", "qcow2", source, output])
    }
}

extension DiskConversion {
    /// Refuses a base disk that reads another host file or is not `format`: the one check for downloaded and
    /// local bases alike (``QemuImg/checkSelfContainedBase(_:declaredFormat:)``).
    /// - Parameters:
    ///   - path: The disk file.
    ///   - format: Its declared format.
    /// - Throws: ``BasesError/unusableDisk(_:)`` naming the file and the host file it reads.
    static func checkSelfContained(_ path: String, format: DiskFormat) async throws {
        do {
            _ = try await DedicatedThread.run(name: "labforge.bases") { try QemuImg.checkSelfContainedBase(path, declaredFormat: format.rawValue) }
        } catch let error as DiskImageError {
            throw BasesError.unusableDisk(error)
        }
    }
}
