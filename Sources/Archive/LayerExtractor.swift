// Extracts container image layers into a root directory through libarchive, refusing what could escape the root.
import CArchive
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// How a layer blob is compressed (its media type says: `…tar`, `…tar+gzip`, `…tar+zstd`).
public enum LayerStreamCompression: String, Sendable, CaseIterable {
    case none
    case gzip
    case zstd
}

/// What one layer put in the root.
public struct LayerExtractionFacts: Sendable, Equatable {
    /// Files, directories and links written.
    public var entries: Int
    /// Whiteouts applied (`.wh.<name>` removals and `.wh..wh..opq` opaque directories).
    public var whiteouts: Int
    /// Bytes of file data written (the entries' sizes).
    public var bytes: Int64 = 0
}

/// Applies OCI layers, in order, to one root directory, streaming each blob (it is never held in memory).
///
/// Every entry is checked before libarchive sees it, and refused with ``LayerExtractionError/refused(layer:entry:reason:)``
/// when its name is absolute or climbs with `..`, when a directory on its way is a symbolic link (whatever the
/// link points at), when it is a device node, FIFO or socket, a hard link to anything but a regular file inside the
/// root, a setuid/setgid file, owned by an id outside `0..<idCount`, or written twice in one layer. What passes is
/// written by `archive_write_disk` with `ARCHIVE_EXTRACT_SECURE_SYMLINKS | SECURE_NODOTDOT` (its own refusal of the
/// same tricks, a second line), owner, permissions and times, and no extended attributes, ACLs or file flags (file
/// capabilities never arrive). Owners are shifted by `idShift`, so the container's root is not the host's.
///
/// libarchive writes relative names against the process's working directory, which threads share; entries are
/// therefore handed to it as absolute paths under the (symlink-free) root, after the absolute-name check above —
/// the job `ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS` does for a tool that `chdir`s into the root.
///
/// Whiteouts follow the OCI image layer spec: `.wh.<name>` removes `<name>` of the layers below, `.wh..wh..opq`
/// empties its directory of what the layers below put there; neither is extracted, and neither touches what the
/// same layer wrote.
public struct LayerExtractor: Sendable {
    /// The root directory, resolved (no symbolic link on its path).
    public let root: String
    /// Added to every owner and group id.
    public let idShift: Int64
    /// Owners must be below this (the size of the user namespace's id map).
    public let idCount: Int64
    /// File data all layers together may write; an entry that would pass it is refused before it is written.
    public let maxUnpackedBytes: Int64

    /// Block size libarchive reads the blob in.
    static let readBlock = 1 << 20

    /// Creates an extractor for an existing directory.
    /// - Parameters:
    ///   - root: The directory the layers go into.
    ///   - idShift: Added to each entry's uid and gid (0: as written).
    ///   - idCount: Entries must be owned by ids below this.
    ///   - maxUnpackedBytes: The file data all layers together may write.
    /// - Throws: ``LayerExtractionError/badRoot(path:message:)`` when it is not a directory.
    public init(root: String, idShift: Int64 = 0, idCount: Int64 = 65536, maxUnpackedBytes: Int64 = .max) throws {
        guard let resolved = realpath(root, nil) else {
            throw LayerExtractionError.badRoot(path: root, message: String(cString: strerror(errno)))
        }
        defer { free(resolved) }
        self.root = String(cString: resolved)
        var info = stat()
        guard lstat(self.root, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
            throw LayerExtractionError.badRoot(path: root, message: "not a directory")
        }
        self.idShift = idShift
        self.idCount = idCount
        self.maxUnpackedBytes = maxUnpackedBytes
    }

    /// Applies one layer.
    /// - Parameters:
    ///   - blob: The layer's file.
    ///   - layer: How errors name the layer (its digest).
    ///   - compression: The compression its media type names; nothing else is accepted.
    ///   - unpackedBefore: Bytes the layers below already wrote (counted against ``maxUnpackedBytes``).
    /// - Returns: What was written.
    /// - Throws: ``LayerExtractionError``; entries before the one at fault stay written.
    public func extract(blob: String, layer: String, compression: LayerStreamCompression, unpackedBefore: Int64 = 0) throws -> LayerExtractionFacts {
        guard let reader = archive_read_new() else { throw LayerExtractionError.unreadable(layer: layer, message: "archive_read_new: out of memory") }
        defer { archive_read_free(reader) }
        archive_read_support_format_tar(reader)
        switch compression {
        case .none: archive_read_support_filter_none(reader)
        case .gzip: archive_read_support_filter_gzip(reader)
        case .zstd: archive_read_support_filter_zstd(reader)
        }
        guard archive_read_open_filename(reader, blob, Self.readBlock) == ARCHIVE_OK else {
            throw LayerExtractionError.unreadable(layer: layer, message: Self.message(reader))
        }
        // libarchive reads bytes no filter claims as they are: the media type must be what the bytes are.
        let expected: Int32 = switch compression {
        case .none: ARCHIVE_FILTER_NONE
        case .gzip: ARCHIVE_FILTER_GZIP
        case .zstd: ARCHIVE_FILTER_ZSTD
        }
        guard archive_filter_code(reader, 0) == expected else {
            let found = archive_filter_code(reader, 0) == ARCHIVE_FILTER_NONE ? "uncompressed" : String(cString: archive_filter_name(reader, 0))
            throw LayerExtractionError.unreadable(layer: layer, message: "its media type says \(compression.rawValue), the bytes are \(found)")
        }
        guard let writer = archive_write_disk_new() else { throw LayerExtractionError.unreadable(layer: layer, message: "archive_write_disk_new: out of memory") }
        defer { archive_write_free(writer) }
        archive_write_disk_set_options(
            writer, ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME)
        var state = LayerState(bytesBefore: unpackedBefore)
        while true {
            var entry: OpaquePointer?
            let status = archive_read_next_header(reader, &entry)
            if status == ARCHIVE_EOF { break }
            guard status >= ARCHIVE_WARN, let entry else { throw LayerExtractionError.unreadable(layer: layer, message: Self.message(reader)) }
            try apply(entry, reader: reader, writer: writer, layer: layer, state: &state)
        }
        guard archive_write_close(writer) >= ARCHIVE_WARN else {
            throw LayerExtractionError.writeFailed(layer: layer, entry: "(directory permissions and times)", message: Self.message(writer))
        }
        return LayerExtractionFacts(entries: state.entries, whiteouts: state.whiteouts, bytes: state.bytes)
    }

    /// Paths this layer wrote (and their parents): whiteouts leave them alone.
    struct LayerState {
        var written: Set<String> = []
        var entries = 0
        var whiteouts = 0
        /// Bytes the layers below wrote.
        var bytesBefore: Int64 = 0
        /// Bytes this layer wrote.
        var bytes: Int64 = 0
    }

    private func apply(_ entry: OpaquePointer, reader: OpaquePointer, writer: OpaquePointer, layer: String, state: inout LayerState) throws {
        guard let raw = archive_entry_pathname(entry), let name = String(validatingCString: raw) else {
            throw LayerExtractionError.refused(layer: layer, entry: archive_entry_pathname(entry).map { String(cString: $0) } ?? "(no name)", reason: .unreadableName)
        }
        func refuse(_ reason: LayerEntryRefusal) -> LayerExtractionError { .refused(layer: layer, entry: name, reason: reason) }
        guard let components = try Self.components(of: name).orThrow(refuse) else { return }  // the root itself: kept as made
        let relative = components.joined(separator: "/")
        if let refusal = parentRefusal(components) { throw refuse(refusal) }
        if components.last!.hasPrefix(".wh.") {
            try applyWhiteout(components, layer: layer, name: name, state: &state)
            return
        }
        guard !state.written.contains(relative) || isDirectoryEntry(entry) && isDirectory(relative) else { throw refuse(.duplicate) }
        if let refusal = typeRefusal(entry) { throw refuse(refusal) }
        let (uid, gid) = (archive_entry_uid(entry), archive_entry_gid(entry))
        guard (0..<idCount).contains(uid), (0..<idCount).contains(gid) else { throw refuse(.ownerOutOfRange(uid: uid, gid: gid, limit: idCount)) }
        if let rawTarget = archive_entry_hardlink(entry) {
            let target = String(cString: rawTarget)
            guard let targetComponents = try? Self.components(of: target).get(), !targetComponents.isEmpty else { throw refuse(.hardLinkOutside(target: target)) }
            if let refusal = parentRefusal(targetComponents) { throw refuse(refusal) }
            let found = kind(of: targetComponents.joined(separator: "/"))
            guard found == "a regular file" else { throw refuse(.hardLinkTarget(target: target, found: found)) }
            archive_entry_set_hardlink(entry, root + "/" + targetComponents.joined(separator: "/"))
        }
        // A non-directory replaces a directory of a lower layer with everything in it, as a runtime's overlay does.
        if !isDirectoryEntry(entry), isDirectory(relative), !state.written.contains(relative) {
            do {
                try FileManager.default.removeItem(atPath: root + "/" + relative)
            } catch {
                throw LayerExtractionError.writeFailed(layer: layer, entry: name, message: "removing the directory it replaces: \(error.localizedDescription)")
            }
        }
        // Counted by declared size (a sparse file counts whole): a layer cannot fill the disk, however well it compresses.
        let size = max(0, archive_entry_size(entry))
        let (total, overflow) = state.bytesBefore.addingReportingOverflow(state.bytes)
        guard !overflow, size <= maxUnpackedBytes - min(total, maxUnpackedBytes) else {
            throw LayerExtractionError.tooLarge(layer: layer, entry: name, limit: maxUnpackedBytes)
        }
        state.bytes += size
        archive_entry_set_pathname(entry, root + "/" + relative)
        archive_entry_set_uid(entry, uid + idShift)
        archive_entry_set_gid(entry, gid + idShift)
        // Numbers only: no lookup of the names in the host's passwd.
        archive_entry_set_uname(entry, nil)
        archive_entry_set_gname(entry, nil)
        try write(entry, reader: reader, writer: writer, layer: layer, name: name)
        var path = ""
        for component in components {
            path = path.isEmpty ? component : path + "/" + component
            state.written.insert(path)
        }
        state.entries += 1
    }

    /// Writes the header and streams the data block by block.
    private func write(_ entry: OpaquePointer, reader: OpaquePointer, writer: OpaquePointer, layer: String, name: String) throws {
        guard archive_write_header(writer, entry) >= ARCHIVE_WARN else {
            throw LayerExtractionError.writeFailed(layer: layer, entry: name, message: Self.message(writer))
        }
        if archive_entry_size(entry) > 0 {
            var buffer: UnsafeRawPointer?
            var size = 0
            var offset: la_int64_t = 0
            while true {
                let status = archive_read_data_block(reader, &buffer, &size, &offset)
                if status == ARCHIVE_EOF { break }
                guard status >= ARCHIVE_WARN else { throw LayerExtractionError.unreadable(layer: layer, message: "\(name): \(Self.message(reader))") }
                guard archive_write_data_block(writer, buffer, size, offset) >= ARCHIVE_WARN else {
                    throw LayerExtractionError.writeFailed(layer: layer, entry: name, message: Self.message(writer))
                }
            }
        }
        guard archive_write_finish_entry(writer) >= ARCHIVE_WARN else {
            throw LayerExtractionError.writeFailed(layer: layer, entry: name, message: Self.message(writer))
        }
    }

    private func isDirectoryEntry(_ entry: OpaquePointer) -> Bool {
        archive_entry_hardlink(entry) == nil && archive_entry_filetype(entry) & Self.typeMask == LABFORGE_AE_IFDIR
    }

    /// The entry's type, when a layer may not hold it.
    private func typeRefusal(_ entry: OpaquePointer) -> LayerEntryRefusal? {
        if archive_entry_hardlink(entry) != nil { return nil }
        let mode = archive_entry_mode(entry)
        switch mode & Self.typeMask {
        case Self.characterDevice: return .deviceNode(kind: "character")
        case Self.blockDevice: return .deviceNode(kind: "block")
        case Self.fifo: return .specialFile(kind: "FIFO")
        case Self.socket: return .specialFile(kind: "socket")
        case LABFORGE_AE_IFREG: return mode & 0o6000 != 0 ? .setuid(mode: mode & 0o7777) : nil
        default: return nil
        }
    }

    // AE_IF* are casts of octal literals in archive_entry.h and do not import (shim.h carries REG, DIR, LNK).
    static let typeMask: UInt32 = 0o170000
    static let characterDevice: UInt32 = 0o020000
    static let blockDevice: UInt32 = 0o060000
    static let fifo: UInt32 = 0o010000
    static let socket: UInt32 = 0o140000

    static func message(_ archive: OpaquePointer) -> String {
        archive_error_string(archive).map { String(cString: $0) } ?? "error \(archive_errno(archive))"
    }
}

extension Result {
    /// The success value, or the failure turned into another error and thrown.
    func orThrow<E: Error>(_ transform: (Failure) -> E) throws -> Success {
        switch self {
        case .success(let value): return value
        case .failure(let error): throw transform(error)
        }
    }
}
