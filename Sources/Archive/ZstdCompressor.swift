// zstd with worker threads; output is the same for any worker count ≥ 1, so layers stay reproducible.
import CZstd
import Foundation

/// Compresses a stream into one zstd frame using libzstd's multi-threaded mode.
public final class ZstdCompressor: ByteSink {
    private let downstream: ByteSink
    private let context: OpaquePointer
    private var output: [UInt8]

    /// The size of the input each worker compresses at once. libzstd's default at level 3 is 8 MiB (4 × the window),
    /// and it keeps about (workers + 2) jobs of input and output buffered: 76 MB of peak RSS for `zstd -3 -T0` on 2
    /// cores. 4 MiB halves that (40 MB) for 0.05 % more output and the same CPU time; 2 MiB costs 12 % more CPU
    /// (measured with `zstd -B` on bench/package.sh's input). Fixed, so the bytes do not depend on the worker count.
    public static let jobSize: Int32 = 4 << 20

    /// Creates a compressor writing to `downstream`.
    /// - Parameters:
    ///   - downstream: Receives the zstd frame.
    ///   - level: zstd level (3 is zstd's default).
    ///   - threads: Worker threads, at least 1 (1 and N give identical bytes; 0 would not).
    /// - Throws: ``ArchiveError/zstd(call:message:)``.
    public init(downstream: ByteSink, level: Int32 = 3, threads: Int = ProcessInfo.processInfo.activeProcessorCount) throws {
        guard let context = ZSTD_createCCtx() else { throw ArchiveError.zstd(call: "ZSTD_createCCtx", message: "out of memory") }
        self.context = context
        self.downstream = downstream
        self.output = [UInt8](repeating: 0, count: ZSTD_CStreamOutSize())
        try check(ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, level), "compressionLevel")
        try check(ZSTD_CCtx_setParameter(context, ZSTD_c_checksumFlag, 1), "checksumFlag")
        try check(ZSTD_CCtx_setParameter(context, ZSTD_c_nbWorkers, Int32(max(1, threads))), "nbWorkers")
        try check(ZSTD_CCtx_setParameter(context, ZSTD_c_jobSize, Self.jobSize), "jobSize")
    }

    deinit {
        ZSTD_freeCCtx(context)
    }

    /// The most input handed to libzstd in one call: its recommended input size (`ZSTD_CStreamInSize()`, 128 KiB).
    /// Larger calls cost memory, not time: fed 1 MiB at a time, libzstd 1.5.4 peaked at 58 MB on bench/package.sh's
    /// input against 37 MB fed 128 KiB at a time (same bytes, same CPU time).
    public static let inputSlice = ZSTD_CStreamInSize()

    /// Compresses bytes, passing finished output on.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + Self.inputSlice)
            let slice = UnsafeRawBufferPointer(rebasing: bytes[offset..<end])
            var input = ZSTD_inBuffer(src: slice.baseAddress, size: slice.count, pos: 0)
            while input.pos < input.size {
                try step(&input, ZSTD_e_continue)
            }
            offset = end
        }
    }

    /// Ends the frame and finishes `downstream`.
    public func finish() throws {
        var input = ZSTD_inBuffer(src: nil, size: 0, pos: 0)
        while try step(&input, ZSTD_e_end) != 0 {}
        try downstream.finish()
    }

    @discardableResult
    private func step(_ input: inout ZSTD_inBuffer, _ directive: ZSTD_EndDirective) throws -> Int {
        let (remaining, produced) = try output.withUnsafeMutableBytes { buffer -> (Int, Int) in
            var out = ZSTD_outBuffer(dst: buffer.baseAddress, size: buffer.count, pos: 0)
            let rc = ZSTD_compressStream2(context, &out, &input, directive)
            try check(rc, "compressStream2")
            return (rc, out.pos)
        }
        if produced > 0 {
            try output.withUnsafeBytes { try downstream.write(UnsafeRawBufferPointer(rebasing: $0[0..<produced])) }
        }
        return remaining
    }

    private func check(_ rc: Int, _ call: String) throws {
        if ZSTD_isError(rc) != 0 {
            throw ArchiveError.zstd(call: call, message: String(cString: ZSTD_getErrorName(rc)))
        }
    }
}
