// qemu-img, run as a subprocess: the base's format, overlays, resizing and the final flattening copy.
import Foundation

/// The qemu-img operations customization needs.
enum DiskTool {
    /// What `qemu-img info` says about a disk.
    struct Info: Decodable {
        var format: String
        var virtualSize: Int64
        enum CodingKeys: String, CodingKey {
            case format
            case virtualSize = "virtual-size"
        }
    }

    /// Runs qemu-img and returns its standard output.
    @discardableResult
    static func qemuImg(_ arguments: [String]) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["qemu-img"] + arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch {
            throw CustomizeError.toolFailed(command: "qemu-img", status: -1, stderr: "cannot start qemu-img (run `make deps`): \(error)")
        }
        // Read standard error concurrently so a chatty qemu-img cannot block on a full pipe.
        let errData = ErrorBox()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errData.data = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let output = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CustomizeError.toolFailed(
                command: (["qemu-img"] + arguments).joined(separator: " "), status: process.terminationStatus,
                stderr: String(decoding: errData.data, as: UTF8.self)
            )
        }
        return output
    }

    /// Format and virtual size of a disk.
    static func info(_ path: String) throws -> Info {
        let data = try qemuImg(["info", "--output=json", path])
        do { return try JSONDecoder().decode(Info.self, from: data) } catch {
            throw CustomizeError.toolFailed(command: "qemu-img info \(path)", status: 0, stderr: "unreadable output: \(error)")
        }
    }

    /// A qcow2 overlay on `base`: writes go to the overlay, the base is never modified.
    static func createOverlay(at path: String, base: String, baseFormat: String) throws {
        try qemuImg(["create", "-q", "-f", "qcow2", "-F", baseFormat, "-b", base, path])
    }

    /// Grows a disk's virtual size.
    static func resize(_ path: String, toGiB size: Int) throws {
        try qemuImg(["resize", "-q", path, "\(size)G"])
    }

    /// A standalone qcow2 (no backing file, unallocated and zero clusters left out) for KubeVirt;
    /// `compressed`: every cluster zstd-compressed (the dense, pull-friendly form a containerDisk ships).
    static func flatten(_ overlay: String, to output: String, compressed: Bool = false) throws {
        let compression = compressed ? ["-c", "-o", "compression_type=zstd"] : []
        try qemuImg(["convert", "-q", "-O", "qcow2"] + compression + [overlay, output])
    }
}

private final class ErrorBox: @unchecked Sendable {
    var data = Data()
}
