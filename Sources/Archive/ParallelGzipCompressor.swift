// gzip on every core, pigz-style: independent 128 KiB deflate blocks primed with the previous 32 KiB.
import CZlib
import Dispatch
import Foundation
import Synchronization

/// Compresses a stream into one gzip member using several threads, with output independent of the
/// thread count (blocks are cut at fixed sizes), a header without timestamp, and a fixed OS byte.
///
/// libarchive's gzip filter is single-threaded and hides the uncompressed bytes, so the layer's
/// diff_id could not be computed in the same pass; this sink sits after the tar writer instead.
public final class ParallelGzipCompressor: ByteSink, @unchecked Sendable {
    /// The size of the uncompressed blocks compressed independently (pigz's default).
    public static let blockSize = 128 * 1024
    private static let dictionarySize = 32 * 1024

    private let downstream: ByteSink
    private let level: Int32
    private let queue = DispatchQueue(label: "labforge.gzip", attributes: .concurrent)
    private let slots: DispatchSemaphore
    private let finished = NSCondition()
    private let streams = Mutex<[DeflateStream]>([])
    private var done: [Int: CompressedBlock] = [:]  // guarded by `finished`
    private var failure: Error?  // guarded by `finished`

    private var block: UnsafeMutableRawBufferPointer
    private var fill = 0
    private var dictionary: [UInt8] = []
    private var submitted = 0
    private var emitted = 0
    private var crc: UInt = 0
    private var totalIn: UInt64 = 0
    private var headerWritten = false

    /// Creates a compressor writing to `downstream`.
    /// - Parameters:
    ///   - downstream: Receives the gzip bytes in order.
    ///   - level: zlib level 1–9 (6 is gzip's default).
    ///   - threads: Blocks compressed at once; the host's core count by default.
    public init(downstream: ByteSink, level: Int32 = 6, threads: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.downstream = downstream
        self.level = level
        self.slots = DispatchSemaphore(value: max(1, threads) * 2)
        self.block = .allocate(byteCount: Self.blockSize, alignment: 16)
    }

    deinit {
        block.deallocate()
    }

    /// Buffers bytes and hands every full block to a worker.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let take = min(Self.blockSize - fill, bytes.count - offset)
            (block.baseAddress! + fill).copyMemory(from: bytes.baseAddress! + offset, byteCount: take)
            fill += take
            offset += take
            if fill == Self.blockSize { try submitBlock() }
        }
        try emitReady(waitForAll: false)
    }

    /// Compresses the last block, writes the final empty block and the trailer, finishes `downstream`.
    public func finish() throws {
        if fill > 0 { try submitBlock() }
        try emitReady(waitForAll: true)
        try writeHeaderIfNeeded()
        // A final empty fixed-Huffman block ends the deflate stream; then CRC-32 and size mod 2^32.
        var trailer: [UInt8] = [0x03, 0x00]
        for shift in stride(from: 0, to: 32, by: 8) { trailer.append(UInt8(truncatingIfNeeded: UInt32(crc) >> UInt32(shift))) }
        for shift in stride(from: 0, to: 32, by: 8) { trailer.append(UInt8(truncatingIfNeeded: totalIn >> UInt64(shift))) }
        try trailer.withUnsafeBytes { try downstream.write($0) }
        try downstream.finish()
    }

    private func submitBlock() throws {
        let input = BlockBuffer(copying: UnsafeRawBufferPointer(rebasing: block[0..<fill]))
        let primer = dictionary
        let tailStart = max(0, fill - Self.dictionarySize)
        dictionary = Array(UnsafeRawBufferPointer(rebasing: block[tailStart..<fill]))
        if fill < Self.dictionarySize {
            dictionary = Array((primer + dictionary).suffix(Self.dictionarySize))
        }
        fill = 0
        let sequence = submitted
        submitted += 1
        slots.wait()
        queue.async { [self] in
            let result: Result<CompressedBlock, Error>
            do {
                let stream = try checkoutStream()
                result = .success(try stream.compress(input.bytes, dictionary: primer))
                streams.withLock { $0.append(stream) }
            } catch {
                result = .failure(error)
            }
            finished.lock()
            switch result {
            case .success(let compressed): done[sequence] = compressed
            case .failure(let error): failure = failure ?? error
            }
            finished.signal()
            finished.unlock()
            slots.signal()
        }
    }

    private func checkoutStream() throws -> DeflateStream {
        if let stream = streams.withLock({ $0.popLast() }) { return stream }
        return try DeflateStream(level: level)
    }

    /// Writes finished blocks in order; with `waitForAll`, waits until every submitted block is written.
    private func emitReady(waitForAll: Bool) throws {
        while emitted < submitted {
            finished.lock()
            while waitForAll, done[emitted] == nil, failure == nil { finished.wait() }
            let error = failure
            let next = done.removeValue(forKey: emitted)
            finished.unlock()
            if let error { throw error }
            guard let next else { return }
            try writeHeaderIfNeeded()
            try next.bytes.withUnsafeBytes { try downstream.write($0) }
            crc = crc32_combine(crc, next.crc, Int(next.length))
            totalIn += UInt64(next.length)
            emitted += 1
        }
    }

    private func writeHeaderIfNeeded() throws {
        guard !headerWritten else { return }
        headerWritten = true
        // ID1 ID2 CM=deflate FLG=0 MTIME=0 XFL=0 OS=255 (unknown): the same bytes on every host.
        let header: [UInt8] = [0x1F, 0x8B, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0xFF]
        try header.withUnsafeBytes { try downstream.write($0) }
    }
}

/// A block of input owned by one compression job.
final class BlockBuffer: @unchecked Sendable {
    let bytes: UnsafeMutableRawBufferPointer

    init(copying source: UnsafeRawBufferPointer) {
        bytes = .allocate(byteCount: source.count, alignment: 16)
        bytes.copyMemory(from: source)
    }

    deinit { bytes.deallocate() }
}

/// One compressed block: raw deflate ending in a sync flush, and the CRC-32 of its input.
struct CompressedBlock: Sendable {
    var bytes: [UInt8]
    var crc: UInt
    var length: Int
}

/// A raw-deflate zlib stream, reused across blocks (zlib keeps a pointer to it, so it lives on the heap).
final class DeflateStream: @unchecked Sendable {
    private let stream: UnsafeMutablePointer<z_stream>

    init(level: Int32) throws {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let rc = deflateInit2_(stream, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard rc == Z_OK else {
            stream.deallocate()
            throw ArchiveError.zlib(call: "deflateInit2", code: rc)
        }
    }

    deinit {
        deflateEnd(stream)
        stream.deallocate()
    }

    func compress(_ input: UnsafeMutableRawBufferPointer, dictionary: [UInt8]) throws -> CompressedBlock {
        var rc = deflateReset(stream)
        guard rc == Z_OK else { throw ArchiveError.zlib(call: "deflateReset", code: rc) }
        if !dictionary.isEmpty {
            rc = dictionary.withUnsafeBufferPointer { deflateSetDictionary(stream, $0.baseAddress, UInt32($0.count)) }
            guard rc == Z_OK else { throw ArchiveError.zlib(call: "deflateSetDictionary", code: rc) }
        }
        let bound = Int(deflateBound(stream, UInt(input.count))) + 64
        var output = [UInt8](repeating: 0, count: bound)
        var produced = 0
        stream.pointee.next_in = input.baseAddress?.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_in = UInt32(input.count)
        repeat {
            if produced == output.count { output.append(contentsOf: [UInt8](repeating: 0, count: 64 * 1024)) }
            rc = output.withUnsafeMutableBufferPointer { buffer in
                stream.pointee.next_out = buffer.baseAddress! + produced
                stream.pointee.avail_out = UInt32(buffer.count - produced)
                let rc = deflate(stream, Z_SYNC_FLUSH)
                produced = buffer.count - Int(stream.pointee.avail_out)
                return rc
            }
            guard rc == Z_OK || rc == Z_BUF_ERROR else { throw ArchiveError.zlib(call: "deflate", code: rc) }
        } while stream.pointee.avail_out == 0 || stream.pointee.avail_in > 0
        output.removeSubrange(produced...)
        let checksum = crc32(0, input.baseAddress?.assumingMemoryBound(to: Bytef.self), UInt32(input.count))
        return CompressedBlock(bytes: output, crc: checksum, length: input.count)
    }
}
