// gzip on every core: fixed-size blocks compressed independently by libdeflate, each a gzip member of its own.
import CDeflate
import Dispatch
import Foundation
import Synchronization

/// Compresses a stream into a multi-member gzip file using several threads, with output independent of the thread
/// count (blocks are cut at fixed sizes) and the same bytes on every host (libdeflate writes no timestamp and OS 255).
///
/// Each 1 MiB block becomes one gzip member (RFC 1952 §2.2: a gzip file is a series of members; gzip, Go's
/// compress/gzip — containerd, skopeo, umoci — and Python read them all). libdeflate compresses a whole buffer at
/// once: in `bench/package.sh` this packs twice as fast as the zlib version did and 1.8× as fast as `pigz -6`, at the
/// same output size; without a dictionary carried across blocks, 1 MiB blocks keep the loss small.
///
/// libarchive's gzip filter is single-threaded and hides the uncompressed bytes, so the layer's diff_id could not be
/// computed in the same pass; this sink sits after the tar writer instead.
public final class ParallelGzipCompressor: ByteSink, @unchecked Sendable {
    /// The size of the uncompressed blocks compressed independently.
    public static let blockSize = 1 << 20

    private let downstream: ByteSink
    private let level: Int32
    private let queue = DispatchQueue(label: "labforge.gzip", attributes: .concurrent)
    private let slots: DispatchSemaphore
    private let finished = NSCondition()
    private let compressors = Mutex<[DeflateCompressor]>([])
    private var done: [Int: Data] = [:]  // guarded by `finished`
    private var failure: Error?  // guarded by `finished`

    private var block: UnsafeMutableRawBufferPointer
    private var fill = 0
    private var submitted = 0
    private var emitted = 0

    /// Creates a compressor writing to `downstream`.
    /// - Parameters:
    ///   - downstream: Receives the gzip bytes in order.
    ///   - level: libdeflate level 1–12 (6 by default, gzip's default level).
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

    /// Compresses the last block (an empty input still becomes one valid member) and finishes `downstream`.
    public func finish() throws {
        if fill > 0 || submitted == 0 { try submitBlock() }
        try emitReady(waitForAll: true)
        try downstream.finish()
    }

    private func submitBlock() throws {
        let input = BlockBuffer(copying: UnsafeRawBufferPointer(rebasing: block[0..<fill]))
        fill = 0
        let sequence = submitted
        submitted += 1
        slots.wait()
        queue.async { [self] in
            let result: Result<Data, Error>
            do {
                let compressor = try checkoutCompressor()
                result = .success(try compressor.gzip(UnsafeRawBufferPointer(input.bytes)))
                compressors.withLock { $0.append(compressor) }
            } catch {
                result = .failure(error)
            }
            finished.lock()
            switch result {
            case .success(let member): done[sequence] = member
            case .failure(let error): failure = failure ?? error
            }
            finished.signal()
            finished.unlock()
            slots.signal()
        }
    }

    private func checkoutCompressor() throws -> DeflateCompressor {
        if let compressor = compressors.withLock({ $0.popLast() }) { return compressor }
        return try DeflateCompressor(level: level)
    }

    /// Writes finished members in order; with `waitForAll`, waits until every submitted block is written.
    private func emitReady(waitForAll: Bool) throws {
        while emitted < submitted {
            finished.lock()
            while waitForAll, done[emitted] == nil, failure == nil { finished.wait() }
            let error = failure
            let next = done.removeValue(forKey: emitted)
            finished.unlock()
            if let error { throw error }
            guard let next else { return }
            try next.withUnsafeBytes { try downstream.write($0) }
            emitted += 1
        }
    }
}

/// One libdeflate compressor (not thread-safe: one job uses it at a time, then it goes back to the pool).
final class DeflateCompressor: @unchecked Sendable {
    private let compressor: OpaquePointer
    private let level: Int32

    init(level: Int32) throws {
        self.level = level
        guard let compressor = libdeflate_alloc_compressor(level) else { throw ArchiveError.deflate(level: level) }
        self.compressor = compressor
    }

    deinit { libdeflate_free_compressor(compressor) }

    /// `input` as one gzip member.
    func gzip(_ input: UnsafeRawBufferPointer) throws -> Data {
        let bound = libdeflate_gzip_compress_bound(compressor, input.count)
        var output = Data(count: bound)
        let written = output.withUnsafeMutableBytes { out in
            libdeflate_gzip_compress(compressor, input.baseAddress, input.count, out.baseAddress, bound)
        }
        guard written > 0 else { throw ArchiveError.deflate(level: level) }
        output.count = written
        return output
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
