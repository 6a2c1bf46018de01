// Reads a blob file in pieces on NIO's thread pool, so multi-GB layers stream from disk and never sit in memory.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import NIOCore
import NIOPosix

/// An open blob file (a handle: closed at deinit).
final class BlobFile: Sendable {
    let path: String
    let size: Int64
    private let descriptor: Int32

    /// Opens a blob and checks its size.
    /// - Parameters:
    ///   - path: The file.
    ///   - expectedSize: The descriptor's size.
    /// - Throws: ``RegistryError/localBlob(path:reason:)``.
    init(path: String, expectedSize: Int64) throws {
        self.path = path
        descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw RegistryError.localBlob(path: path, reason: "cannot open: \(String(cString: strerror(errno)))")
        }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            close(descriptor)
            throw RegistryError.localBlob(path: path, reason: "cannot stat: \(String(cString: strerror(errno)))")
        }
        size = Int64(info.st_size)
        guard size == expectedSize else {
            close(descriptor)
            throw RegistryError.localBlob(path: path, reason: "is \(size) bytes, its descriptor says \(expectedSize)")
        }
    }

    deinit { close(descriptor) }

    /// Reads `count` bytes at `offset` (blocking; call on a thread pool).
    func read(at offset: Int64, count: Int) throws -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: count)
        var done = 0
        while done < count {
            let got = try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count - done) { pointer -> Int in
                let n = pread(descriptor, pointer.baseAddress, count - done, off_t(offset + Int64(done)))
                if n < 0, errno != EINTR {
                    throw RegistryError.localBlob(path: path, reason: "read failed: \(String(cString: strerror(errno)))")
                }
                return max(n, 0)
            }
            if got == 0 { throw RegistryError.localBlob(path: path, reason: "file ended at \(offset + Int64(done)) bytes") }
            done += got
        }
        return buffer
    }

    /// The bytes `range` as a request body stream of ~1 MiB pieces.
    /// - Parameters:
    ///   - range: Byte offsets.
    ///   - sent: Called with the count of each piece as it is handed to the connection.
    /// - Returns: The body and its length.
    func body(_ range: Range<Int64>, sent: @escaping @Sendable (Int64) -> Void) -> BlobSlice {
        BlobSlice(file: self, range: range, sent: sent)
    }
}

/// An async sequence of the pieces of a byte range of a ``BlobFile``.
struct BlobSlice: AsyncSequence, Sendable {
    typealias Element = ByteBuffer

    static let pieceSize: Int64 = 1 << 20

    let file: BlobFile
    let range: Range<Int64>
    let sent: @Sendable (Int64) -> Void

    struct AsyncIterator: AsyncIteratorProtocol {
        let file: BlobFile
        var offset: Int64
        let end: Int64
        let sent: @Sendable (Int64) -> Void

        mutating func next() async throws -> ByteBuffer? {
            guard offset < end else { return nil }
            let count = Int(Swift.min(BlobSlice.pieceSize, end - offset))
            let file = self.file
            let start = offset
            let buffer = try await NIOThreadPool.singleton.runIfActive { try file.read(at: start, count: count) }
            offset += Int64(count)
            sent(Int64(count))
            return buffer
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(file: file, offset: range.lowerBound, end: range.upperBound, sent: sent)
    }
}
