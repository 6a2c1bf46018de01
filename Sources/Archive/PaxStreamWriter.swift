// Streams a pax tar archive through libarchive into a ByteSink, one entry at a time.
import CArchive

/// Writes a POSIX pax archive (so files ≥ 8 GiB work) to a ``ByteSink`` without buffering whole files.
///
/// Usage: ``begin(_:)`` an entry, ``writeData(_:)`` its bytes, repeat; then ``finish()``.
/// The only code touching libarchive's write API; nothing else sees its pointers.
public final class PaxStreamWriter {
    private let archive: OpaquePointer
    private let context: WriterContext
    private var open = true
    private var current: (path: String, declared: Int64, written: Int64)?

    /// Creates a writer that sends the archive's bytes to `sink`.
    /// - Parameter sink: Receives the tar stream in order; it is finished by ``finish()``.
    /// - Throws: ``ArchiveError/libarchive(call:message:)``.
    public init(sink: ByteSink) throws {
        guard let archive = archive_write_new() else { throw ArchiveError.libarchive(call: "archive_write_new", message: "out of memory") }
        self.archive = archive
        self.context = WriterContext(sink: sink)
        // pax "restricted": plain ustar headers unless a field needs an extended header (size ≥ 8 GiB, long names).
        try check(archive_write_set_format_pax_restricted(archive), "set_format_pax_restricted")
        // Unblocked: data goes straight to the sink, no copy into 10 KiB blocks, no trailing block padding.
        try check(archive_write_set_bytes_per_block(archive, 0), "set_bytes_per_block")
        let opaque = Unmanaged.passUnretained(context).toOpaque()
        try check(
            archive_write_open2(archive, opaque, nil, { _, opaque, buffer, length in
                guard let opaque, let buffer else { return -1 }
                let context = Unmanaged<WriterContext>.fromOpaque(opaque).takeUnretainedValue()
                do {
                    try context.sink.write(UnsafeRawBufferPointer(start: buffer, count: length))
                    return length
                } catch {
                    context.failure = error
                    return -1
                }
            }, nil, nil),
            "open"
        )
    }

    deinit {
        archive_write_free(archive)
    }

    /// Starts an entry: writes its header. For a file, follow with exactly `size` bytes of ``writeData(_:)``.
    /// - Parameter entry: The entry's metadata.
    /// - Throws: ``ArchiveError``.
    public func begin(_ entry: TarEntry) throws {
        try closeCurrentEntry()
        guard let header = archive_entry_new() else { throw ArchiveError.libarchive(call: "archive_entry_new", message: "out of memory") }
        defer { archive_entry_free(header) }
        archive_entry_set_pathname(header, entry.path)
        switch entry.kind {
        case .file(let size):
            archive_entry_set_filetype(header, LABFORGE_AE_IFREG)
            archive_entry_set_size(header, size)
            current = (entry.path, size, 0)
        case .directory:
            archive_entry_set_filetype(header, LABFORGE_AE_IFDIR)
            archive_entry_set_size(header, 0)
        case .symlink(let target):
            archive_entry_set_filetype(header, LABFORGE_AE_IFLNK)
            archive_entry_set_symlink(header, target)
            archive_entry_set_size(header, 0)
        case .hardlink(let target):
            // A hard link is a regular file header naming the earlier entry, with no data of its own.
            archive_entry_set_filetype(header, LABFORGE_AE_IFREG)
            archive_entry_set_hardlink(header, target)
            archive_entry_set_size(header, 0)
        }
        archive_entry_set_perm(header, mode_t(entry.mode))
        archive_entry_set_uid(header, entry.uid)
        archive_entry_set_gid(header, entry.gid)
        if let name = entry.userName { archive_entry_set_uname(header, name) }
        if let name = entry.groupName { archive_entry_set_gname(header, name) }
        archive_entry_set_mtime(header, time_t(entry.modificationTime), 0)
        try check(archive_write_header(archive, header), "write_header \(entry.path)")
    }

    /// Writes the next bytes of the current file entry.
    /// - Parameter bytes: Data; all of it is written.
    /// - Throws: ``ArchiveError``.
    public func writeData(_ bytes: UnsafeRawBufferPointer) throws {
        guard var entry = current, let base = bytes.baseAddress else { return }
        var offset = 0
        while offset < bytes.count {
            let written = archive_write_data(archive, base + offset, bytes.count - offset)
            if written < 0 { try check(Int32(written), "write_data \(entry.path)") }
            if written == 0 { throw ArchiveError.sizeMismatch(path: entry.path, declared: entry.declared, written: entry.written + Int64(bytes.count)) }
            offset += written
        }
        entry.written += Int64(bytes.count)
        current = entry
    }

    /// Ends the archive (two zero records) and finishes the sink.
    /// - Throws: ``ArchiveError``.
    public func finish() throws {
        try closeCurrentEntry()
        guard open else { return }
        open = false
        try check(archive_write_close(archive), "close")
        try context.sink.finish()
    }

    private func closeCurrentEntry() throws {
        guard let entry = current else { return }
        current = nil
        guard entry.written == entry.declared else {
            throw ArchiveError.sizeMismatch(path: entry.path, declared: entry.declared, written: entry.written)
        }
        try check(archive_write_finish_entry(archive), "finish_entry \(entry.path)")
    }

    private func check(_ rc: Int32, _ call: String) throws {
        guard rc < ARCHIVE_WARN else { return }
        if let failure = context.failure { throw failure }
        let message = archive_error_string(archive).map { String(cString: $0) } ?? "error \(rc)"
        throw ArchiveError.libarchive(call: call, message: message)
    }
}

/// Carries the sink and the first sink error through libarchive's C callback.
private final class WriterContext {
    let sink: ByteSink
    var failure: Error?

    init(sink: ByteSink) {
        self.sink = sink
    }
}
