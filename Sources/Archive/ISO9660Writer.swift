// Writes a small ISO9660 volume (Rock Ridge + Joliet) through libarchive: cloud-init NoCloud seeds.
import AtomicFile
import CArchive
import Foundation

/// A file to put in the root of an ISO9660 volume.
public struct ISO9660File: Sendable, Equatable {
    /// File name in the volume's root (Rock Ridge and Joliet keep it as written, e.g. `user-data`).
    public var name: String
    /// The file's bytes.
    public var contents: Data
    /// Permission bits.
    public var mode: UInt32

    /// Creates a file entry.
    /// - Parameters:
    ///   - name: File name in the volume's root.
    ///   - contents: The file's bytes.
    ///   - mode: Permission bits (default 0644).
    public init(name: String, contents: Data, mode: UInt32 = 0o644) {
        self.name = name
        self.contents = contents
        self.mode = mode
    }
}

/// Writes ISO9660 volumes with libarchive's `iso9660` write format.
///
/// The whole volume is small (a NoCloud seed is a few KiB of YAML), so the files are passed at once;
/// the image is written to a temp path next to the destination and renamed into place.
public enum ISO9660Writer {
    /// Writes a volume holding `files` at `path`.
    /// - Parameters:
    ///   - files: Files for the volume's root, in order.
    ///   - path: Destination; replaced atomically.
    ///   - volumeID: The volume identifier (≤ 32 characters), e.g. `cidata` for a NoCloud seed.
    ///   - modificationTime: Time stamped on the files (seconds since the epoch).
    /// - Throws: ``ArchiveError`` when libarchive refuses an option or a write, ``AtomicFileError`` when the file cannot be put in place.
    public static func write(
        _ files: [ISO9660File], to path: String, volumeID: String, modificationTime: Int = 0
    ) throws {
        guard volumeID.utf8.count <= 32, !volumeID.contains(",") else {
            throw ArchiveError.libarchive(call: "volume-id", message: "volume id '\(volumeID)' must be at most 32 characters without commas")
        }
        try AtomicFile.replace(path) { temporary in
            try writeVolume(files, to: temporary, volumeID: volumeID, modificationTime: modificationTime)
        }
    }

    /// Writes the volume at `temporary` (which ``write(_:to:volumeID:modificationTime:)`` then renames into place).
    private static func writeVolume(_ files: [ISO9660File], to temporary: String, volumeID: String, modificationTime: Int) throws {
        guard let archive = archive_write_new() else { throw ArchiveError.libarchive(call: "archive_write_new", message: "out of memory") }
        defer { archive_write_free(archive) }
        func check(_ rc: Int32, _ call: String) throws {
            guard rc < ARCHIVE_WARN else { return }
            let message = archive_error_string(archive).map { String(cString: $0) } ?? "error \(rc)"
            throw ArchiveError.libarchive(call: call, message: message)
        }
        try check(archive_write_set_format_iso9660(archive), "set_format_iso9660")
        // Rock Ridge and Joliet are libarchive's defaults; named here because cloud-init's NoCloud reader relies on them
        // for lower-case names with dashes (plain ISO9660 level 1 would turn `user-data` into `USER_DAT`).
        try check(archive_write_set_format_option(archive, "iso9660", "volume-id", volumeID), "option volume-id=\(volumeID)")
        try check(archive_write_set_format_option(archive, "iso9660", "rockridge", "1"), "option rockridge")
        try check(archive_write_set_format_option(archive, "iso9660", "joliet", "1"), "option joliet")
        try check(archive_write_open_filename(archive, temporary), "open \(temporary)")
        for file in files {
            guard let entry = archive_entry_new() else { throw ArchiveError.libarchive(call: "archive_entry_new", message: "out of memory") }
            defer { archive_entry_free(entry) }
            archive_entry_set_pathname(entry, file.name)
            archive_entry_set_filetype(entry, LABFORGE_AE_IFREG)
            archive_entry_set_perm(entry, mode_t(file.mode))
            archive_entry_set_size(entry, Int64(file.contents.count))
            archive_entry_set_mtime(entry, time_t(modificationTime), 0)
            try check(archive_write_header(archive, entry), "write_header \(file.name)")
            try file.contents.withUnsafeBytes { bytes in
                guard let base = bytes.baseAddress, bytes.count > 0 else { return }
                let written = archive_write_data(archive, base, bytes.count)
                if written < 0 { try check(Int32(written), "write_data \(file.name)") }
                if written != bytes.count {
                    throw ArchiveError.sizeMismatch(path: file.name, declared: Int64(bytes.count), written: Int64(max(written, 0)))
                }
            }
        }
        try check(archive_write_close(archive), "close \(temporary)")
    }
}
