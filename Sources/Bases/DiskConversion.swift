// Verified download → plain qcow2: decompress (xz, gzip), check with qemu-img, convert when needed.
import Foundation
import LabforgeRecipe

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
            _ = FileManager.default.createFile(atPath: path, contents: nil)
            guard let handle = FileHandle(forWritingAtPath: path) else { throw BasesError.cacheUnusable(path: path, reason: "cannot write") }
            defer { try? handle.close() }
            let tool: ExternalTool = compression == .xz ? .xz : .gzip
            try await tool.run(["-dc", input], standardOutput: handle)
            source = path
        }
        let info = try await DiskInfo.read(source)
        guard info.format == format.rawValue else {
            throw BasesError.toolFailed(tool: "qemu-img", arguments: ["info", source], status: 0,
                                        output: "expected a \(format.rawValue) disk but qemu-img says \(info.format)")
        }
        guard info.backingFile == nil else {
            // A downloaded qcow2 naming a backing file could read any file on this machine.
            throw BasesError.toolFailed(tool: "qemu-img", arguments: ["info", source], status: 0,
                                        output: "refusing a qcow2 with backing file \(info.backingFile!)")
        }
        if format == .qcow2 {
            if keepInput && source == input {
                try FileManager.default.copyItem(atPath: source, toPath: output)
            } else {
                try FileManager.default.moveItem(atPath: source, toPath: output)
                if source == intermediate { intermediate = nil }
            }
            return
        }
        try await ExternalTool.qemuImg.run(["convert", "-q", "-f", format.rawValue, "-O", "qcow2", source, output])
    }
}

/// The parts of `qemu-img info --output=json` labforge checks.
struct DiskInfo: Sendable, Decodable {
    /// `qcow2`, `raw`, `vmdk`, …
    var format: String
    /// Virtual size in bytes.
    var virtualSize: Int64
    /// Backing file, if any.
    var backingFile: String?

    enum CodingKeys: String, CodingKey {
        case format
        case virtualSize = "virtual-size"
        case backingFile = "backing-filename"
    }

    /// Runs `qemu-img info` on `path`.
    static func read(_ path: String) async throws -> DiskInfo {
        let json = try await ExternalTool.qemuImg.run(["info", "--output=json", path])
        guard let start = json.firstIndex(of: "{") else {
            throw BasesError.toolFailed(tool: "qemu-img", arguments: ["info", path], status: 0, output: json)
        }
        return try JSONDecoder().decode(DiskInfo.self, from: Data(json[start...].utf8))
    }
}
