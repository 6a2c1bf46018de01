// Writes a byte stream to a file through a 1 MiB buffer.
import Archive
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A ``ByteSink`` that writes to a new file with few, large `write(2)` calls.
public final class FileSink: ByteSink {
    private let descriptor: Int32
    private let path: String
    private var buffer: UnsafeMutableRawBufferPointer
    private var fill = 0
    private var closed = false

    /// Creates (or truncates) `path` for writing.
    /// - Parameters:
    ///   - path: The file.
    ///   - mode: Its permission bits (set exactly, whatever the umask); 0640 for blobs holding a disk.
    /// - Throws: ``ArchiveError/output(_:)``.
    public init(path: String, mode: mode_t = 0o644) throws {
        descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard descriptor >= 0 else { throw ArchiveError.output("\(path): \(String(cString: strerror(errno)))") }
        guard fchmod(descriptor, mode) == 0 else {
            close(descriptor)
            throw ArchiveError.output("\(path): chmod: \(String(cString: strerror(errno)))")
        }
        self.path = path
        buffer = .allocate(byteCount: 1 << 20, alignment: 4096)
    }

    deinit {
        if !closed { close(descriptor) }
        buffer.deallocate()
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        if fill + bytes.count > buffer.count { try flush() }
        if bytes.count >= buffer.count {
            try writeAll(bytes)
            return
        }
        (buffer.baseAddress! + fill).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
        fill += bytes.count
    }

    public func finish() throws {
        try flush()
        closed = true
        guard close(descriptor) == 0 else { throw ArchiveError.output("\(path): \(String(cString: strerror(errno)))") }
    }

    private func flush() throws {
        guard fill > 0 else { return }
        try writeAll(UnsafeRawBufferPointer(rebasing: buffer[0..<fill]))
        fill = 0
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw ArchiveError.output("\(path): \(String(cString: strerror(errno)))")
            }
            offset += written
        }
    }
}
