// What qemu-img says about a disk image file, and the conversions labforge needs.
import Foundation

/// Facts about a disk image file from `qemu-img info`.
public struct DiskImageInfo: Sendable, Equatable, Codable {
    /// `qcow2`, `raw`, `vmdk`, …
    public var format: String
    /// Size the guest sees, in bytes.
    public var virtualSize: Int64
    /// Bytes the file occupies on the host.
    public var actualSize: Int64?
    /// The backing file, when there is one.
    public var backingFile: String?
    /// Whether the image is encrypted.
    public var encrypted: Bool
    /// Other host files the image reads its data from: a qcow2 external data file, VMDK extents outside the file.
    public var externalFiles: [String] = []

    /// Facts as given (qemu-img's are read by ``QemuImg/info(_:)``).
    /// - Parameters:
    ///   - format: The format.
    ///   - virtualSize: Size the guest sees, in bytes.
    ///   - actualSize: Bytes on the host.
    ///   - backingFile: The backing file.
    ///   - encrypted: Whether it is encrypted.
    ///   - externalFiles: Other host files it reads.
    public init(
        format: String, virtualSize: Int64, actualSize: Int64? = nil, backingFile: String? = nil, encrypted: Bool = false, externalFiles: [String] = []
    ) {
        self.format = format
        self.virtualSize = virtualSize
        self.actualSize = actualSize
        self.backingFile = backingFile
        self.encrypted = encrypted
        self.externalFiles = externalFiles
    }
}

/// The qemu-img commands labforge runs.
public enum QemuImg {
    /// Reads a disk image's facts (`qemu-img info --output=json`; `-U` so a running VM does not block it).
    /// - Parameter path: The disk image file.
    /// - Returns: Format, sizes, backing file, encryption.
    /// - Throws: ``DiskImageError``.
    public static func info(_ path: String) throws -> DiskImageInfo {
        let output = try ExternalTool.run(["qemu-img", "info", "-U", "--output=json", path])
        guard output.status == 0 else {
            throw DiskImageError.unreadableImage(path: path, message: output.stderr.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        struct Raw: Decodable {
            struct Extent: Decodable { var filename: String? }
            struct SpecificData: Decodable {
                var dataFile: String?
                var extents: [Extent]?
                enum CodingKeys: String, CodingKey {
                    case dataFile = "data-file"
                    case extents
                }
            }
            struct Specific: Decodable { var data: SpecificData? }
            var filename: String?
            var format: String
            var virtualSize: Int64
            var actualSize: Int64?
            var backingFilename: String?
            var encrypted: Bool?
            var formatSpecific: Specific?
            enum CodingKeys: String, CodingKey {
                case filename, format
                case virtualSize = "virtual-size"
                case actualSize = "actual-size"
                case backingFilename = "backing-filename"
                case encrypted
                case formatSpecific = "format-specific"
            }
        }
        do {
            let raw = try JSONDecoder().decode(Raw.self, from: output.stdout)
            let data = raw.formatSpecific?.data
            let extents = (data?.extents ?? []).compactMap(\.filename).filter { $0 != raw.filename && $0 != path }
            return DiskImageInfo(
                format: raw.format, virtualSize: raw.virtualSize, actualSize: raw.actualSize, backingFile: raw.backingFilename,
                encrypted: raw.encrypted ?? false, externalFiles: (data?.dataFile.map { [$0] } ?? []) + extents
            )
        } catch {
            throw DiskImageError.unreadableImage(path: path, message: "unexpected qemu-img output: \(error)")
        }
    }

    /// Checks that a file is a disk KubeVirt boots from a containerDisk: a readable regular file,
    /// qcow2 or raw, no backing file, not encrypted, and a disk by its contents (``checkContents(_:allowBlank:)``).
    /// - Parameters:
    ///   - path: The disk image file.
    ///   - allowBlank: Accept a disk with neither a partition table nor a file system (a blank data disk).
    /// - Returns: Its facts.
    /// - Throws: ``DiskImageError`` naming the file and the rule it breaks.
    public static func checkContainerDiskInput(_ path: String, allowBlank: Bool = false) throws -> DiskImageInfo {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw DiskImageError.notFound(path: path) }
        guard !isDirectory.boolValue else { throw DiskImageError.notARegularFile(path: path) }
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        guard attributes?[.type] as? FileAttributeType == .typeRegular else { throw DiskImageError.notARegularFile(path: path) }
        guard FileManager.default.isReadableFile(atPath: path) else { throw DiskImageError.notReadable(path: path) }
        let info = try checkContents(path, allowBlank: true)
        guard info.format == "qcow2" || info.format == "raw" else {
            throw DiskImageError.unsupportedFormat(path: path, format: info.format)
        }
        if let backing = info.backingFile { throw DiskImageError.hasBackingFile(path: path, backing: backing) }
        if let external = info.externalFiles.first { throw DiskImageError.hasBackingFile(path: path, backing: external) }
        guard !info.encrypted else { throw DiskImageError.encrypted(path: path) }
        if !allowBlank { try checkNotBlank(path, info: info) }
        return info
    }

    /// Checks that a base disk given as a file is a disk by its contents (``checkContents(_:allowBlank:)``), reads
    /// nothing but itself, and is the format it is declared as: no
    /// backing file, no external data file or extent. Otherwise customizing it would copy whatever host file it
    /// names (`/etc/shadow`, another user's disk) into the image. Downloaded and local bases get the same check.
    /// - Parameters:
    ///   - path: The base disk file.
    ///   - declaredFormat: The format the recipe or option says (`qcow2`, `raw`, `vmdk`); nil: any.
    /// - Returns: Its facts.
    /// - Throws: ``DiskImageError/baseReadsHostFile(path:file:)``, ``DiskImageError/formatMismatch(path:declared:actual:)``,
    ///   ``DiskImageError/unreadableImage(path:message:)``.
    public static func checkSelfContainedBase(_ path: String, declaredFormat: String? = nil) throws -> DiskImageInfo {
        // Blank is left to the appliance's inspection, which finds no operating system on it and says so.
        let info = try checkContents(path, allowBlank: true)
        if let backing = info.backingFile { throw DiskImageError.baseReadsHostFile(path: path, file: backing) }
        if let external = info.externalFiles.first { throw DiskImageError.baseReadsHostFile(path: path, file: external) }
        if let declaredFormat, declaredFormat != info.format {
            throw DiskImageError.formatMismatch(path: path, declared: declaredFormat, actual: info.format)
        }
        return info
    }

    /// Checks that a file's bytes are a disk image, before anything trusts qemu-img's reading of it (qemu-img reads any
    /// file without a header as raw, an HTML error page included):
    /// - its name's format (`.qcow2`, `.vmdk`, `.vhd`, …) is what its header says;
    /// - it is not text, an archive or compressed data;
    /// - read as raw, it is a whole number of 512-byte sectors;
    /// - its guest disk starts with a partition table or a file system, unless `allowBlank`.
    /// - Parameters:
    ///   - path: The disk image file.
    ///   - allowBlank: Accept a disk with neither a partition table nor a file system.
    /// - Returns: Its facts from `qemu-img info`.
    /// - Throws: ``DiskImageError`` naming the file and what is wrong.
    public static func checkContents(_ path: String, allowBlank: Bool = false) throws -> DiskImageInfo {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw DiskImageError.notReadable(path: path) }
        defer { try? handle.close() }
        let head: [UInt8]
        let tail: [UInt8]
        let size: UInt64
        do {
            head = [UInt8](try handle.read(upToCount: 128 << 10) ?? Data())
            size = try handle.seekToEnd()
            try handle.seek(toOffset: size >= 512 ? size - 512 : 0)
            tail = [UInt8](try handle.readToEnd() ?? Data())
        } catch {
            throw DiskImageError.notReadable(path: path)
        }
        let content = DiskContent.classify(head: head, tail: tail)
        if let claimed = DiskContent.claimedFormat(of: path), content != .image(format: claimed) {
            throw DiskImageError.contentMismatch(path: path, named: claimed, content: content.description)
        }
        switch content {
        case .text, .compressed: throw DiskImageError.notADiskImage(path: path, content: content.description)
        case .image, .raw: break
        }
        let info = try info(path)
        if info.format == "raw", size % 512 != 0 { throw DiskImageError.rawSizeNotSectorMultiple(path: path, size: Int64(size)) }
        if !allowBlank { try checkNotBlank(path, info: info) }
        return info
    }

    /// Refuses a disk whose guest view starts with neither a partition table nor a file system
    /// (``DiskContent/guestLayout(_:)``); an encrypted disk cannot be looked into and passes.
    /// - Parameters:
    ///   - path: The disk image file.
    ///   - info: Its facts.
    /// - Throws: ``DiskImageError/blank(path:)``.
    public static func checkNotBlank(_ path: String, info: DiskImageInfo) throws {
        guard !info.encrypted else { return }
        if DiskContent.guestLayout(try guestStart(path, format: info.format)) == nil { throw DiskImageError.blank(path: path) }
    }

    /// The guest disk's first 128 KiB: the file's own bytes for raw, else read through qemu-img (`dd`, into a private
    /// temp directory removed before returning).
    /// - Parameters:
    ///   - path: The disk image file.
    ///   - format: Its format (from ``info(_:)``).
    /// - Returns: The bytes (fewer for a smaller disk).
    /// - Throws: ``DiskImageError/notReadable(path:)``, ``DiskImageError/unreadableImage(path:message:)``.
    public static func guestStart(_ path: String, format: String) throws -> [UInt8] {
        if format == "raw" {
            guard let handle = FileHandle(forReadingAtPath: path) else { throw DiskImageError.notReadable(path: path) }
            defer { try? handle.close() }
            do { return [UInt8](try handle.read(upToCount: 128 << 10) ?? Data()) } catch { throw DiskImageError.notReadable(path: path) }
        }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("labforge-probe-\(UUID().uuidString)").path
        try FileAccess.makePrivateDirectory(scratch)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        try runChecked(["qemu-img", "dd", "-U", "-f", format, "-O", "raw", "bs=65536", "count=2", "if=\(path)", "of=\(scratch)/start"])
        guard let data = FileManager.default.contents(atPath: scratch + "/start") else {
            throw DiskImageError.unreadableImage(path: path, message: "qemu-img dd wrote nothing")
        }
        return [UInt8](data)
    }

    /// Runs `qemu-img check` (qcow2 only; raw has no metadata to check).
    /// - Parameter path: A qcow2 file.
    /// - Throws: ``DiskImageError/corrupt(path:message:)``.
    public static func check(_ path: String) throws {
        let output = try ExternalTool.run(["qemu-img", "check", "-U", "-q", path])
        guard output.status == 0 else {
            throw DiskImageError.corrupt(path: path, message: output.stderr.trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }

    /// Converts a disk image (`qemu-img convert`).
    /// - Parameters:
    ///   - source: Input file.
    ///   - sourceFormat: Its format, never probed.
    ///   - destination: Output file (overwritten).
    ///   - format: Output format.
    ///   - compressed: Write compressed qcow2 clusters.
    ///   - options: `-o` options, e.g. `compression_type=zstd`.
    /// - Throws: ``DiskImageError/commandFailed(command:status:message:)``.
    public static func convert(
        _ source: String, sourceFormat: String, to destination: String, format: String = "qcow2", compressed: Bool = false,
        options: [String] = []
    ) throws {
        var arguments = ["qemu-img", "convert", "-f", sourceFormat, "-O", format]
        if compressed { arguments.append("-c") }
        if !options.isEmpty { arguments += ["-o", options.joined(separator: ",")] }
        arguments += [source, destination]
        try runChecked(arguments)
    }

    /// Creates an empty image or a copy-on-write overlay.
    /// - Parameters:
    ///   - path: New file.
    ///   - format: Its format.
    ///   - size: Virtual size in bytes (nil for an overlay, which takes its backing file's size).
    ///   - backingFile: Backing file for an overlay.
    ///   - backingFormat: Backing file's format.
    /// - Throws: ``DiskImageError/commandFailed(command:status:message:)``.
    public static func create(_ path: String, format: String = "qcow2", size: Int64? = nil, backingFile: String? = nil, backingFormat: String? = nil) throws {
        var arguments = ["qemu-img", "create", "-q", "-f", format]
        if let backingFile { arguments += ["-b", backingFile, "-F", backingFormat ?? "qcow2"] }
        arguments.append(path)
        if let size { arguments.append(String(size)) }
        try runChecked(arguments)
    }

    /// Grows a disk's virtual size (`qemu-img resize`).
    /// - Parameters:
    ///   - path: The disk (not in use by a VM).
    ///   - bytes: The new virtual size.
    /// - Throws: ``DiskImageError/commandFailed(command:status:message:)``.
    public static func resize(_ path: String, to bytes: Int64) throws {
        try runChecked(["qemu-img", "resize", "-q", path, String(bytes)])
    }

    /// Opens a disk and every file of its backing chain (`qemu-img info --backing-chain`), which plain
    /// `info` does not: an overlay whose base was deleted fails here.
    /// - Parameter path: The disk.
    /// - Returns: The files of the chain, `path` first, then each backing file as the image names it.
    /// - Throws: ``DiskImageError/unreadableImage(path:message:)`` naming what does not open.
    public static func backingChain(_ path: String) throws -> [String] {
        let output = try ExternalTool.run(["qemu-img", "info", "-U", "--backing-chain", "--output=json", path])
        guard output.status == 0 else {
            throw DiskImageError.unreadableImage(path: path, message: output.stderr.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        struct Layer: Decodable { var filename: String }
        do {
            return try JSONDecoder().decode([Layer].self, from: output.stdout).map(\.filename)
        } catch {
            throw DiskImageError.unreadableImage(path: path, message: "unexpected qemu-img output: \(error)")
        }
    }

    private static func runChecked(_ arguments: [String]) throws {
        let output = try ExternalTool.run(arguments)
        guard output.status == 0 else {
            throw DiskImageError.commandFailed(
                command: arguments.joined(separator: " "), status: output.status,
                message: output.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
            )
        }
    }
}
