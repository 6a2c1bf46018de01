// The compressors against the reference decompressors (gzip, zstd) and across thread counts.
import Archive
import Foundation
import Testing
import TestSupport

/// Collects a stream in memory (test inputs are a few MiB).
final class CollectingSink: ByteSink {
    var data = Data()
    var finished = false
    func write(_ bytes: UnsafeRawBufferPointer) throws { data.append(contentsOf: bytes) }
    func finish() throws { finished = true }
}

/// 3 MiB + 123 bytes: random, then repetitive text, then zeros — not a multiple of the block size.
func mixedInput() -> Data {
    var generator = SystemRandomNumberGenerator()
    var data = Data((0..<(1 << 20)).map { _ in UInt8.random(in: 0...255, using: &generator) })
    data.append(Data(String(repeating: "labforge builds lab images. ", count: 40_000).utf8.prefix(1 << 20)))
    data.append(Data(count: (1 << 20) + 123))
    return data
}

/// Writes `input` to `sink` in uneven pieces, like libarchive's header and data calls: `first` bytes, then each piece
/// `previous * factor % modulus + 1` bytes.
func writeUnevenly(_ input: Data, to sink: ByteSink, first: Int, factor: Int, modulus: Int) throws {
    try input.withUnsafeBytes { bytes in
        var offset = 0
        var step = first
        while offset < bytes.count {
            let end = min(offset + step, bytes.count)
            try sink.write(UnsafeRawBufferPointer(rebasing: bytes[offset..<end]))
            offset = end
            step = step * factor % modulus + 1
        }
    }
}

/// Compresses `input` through the stage `make` builds: in uneven writes like libarchive's header and data calls,
/// or (`whole`) in one write larger than any internal buffer.
func compress(_ input: Data, whole: Bool = false, _ make: (ByteSink) throws -> ByteSink) throws -> Data {
    let sink = CollectingSink()
    let compressor = try make(sink)
    if whole {
        try input.withUnsafeBytes { try compressor.write($0) }
    } else {
        try writeUnevenly(input, to: compressor, first: 1000, factor: 3, modulus: 700_001)
    }
    try compressor.finish()
    #expect(sink.finished)
    return sink.data
}

@Suite("compressors")
struct CompressorTests {
    @Test("parallel gzip: gzip -d restores the input; output is the same for 1 and 4 threads; header has no time")
    func parallelGzip() async throws {
        let input = mixedInput()
        let one = try compress(input) { ParallelGzipCompressor(downstream: $0, threads: 1) }
        let four = try compress(input) { ParallelGzipCompressor(downstream: $0, threads: 4) }
        #expect(one == four)
        #expect(Array(one.prefix(10)) == [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 0xFF])
        let dir = try TemporaryDirectory()
        try one.write(to: dir.url.appendingPathComponent("x.gz"))
        try await Command.check(["gzip", "-t", dir.appending("x.gz")])
        let restored = try await Command.check(["gzip", "-dc", dir.appending("x.gz")]).stdoutData
        #expect(restored == input)
        // Within 2% of single-stream gzip -6 on the same bytes.
        try input.write(to: dir.url.appendingPathComponent("x"))
        let reference = try await Command.check(["gzip", "-6", "-n", "-c", dir.appending("x")]).stdoutData
        #expect(Double(one.count) <= Double(reference.count) * 1.02)
    }

    @Test("parallel gzip of nothing is a valid empty gzip")
    func emptyGzip() async throws {
        let output = try compress(Data()) { ParallelGzipCompressor(downstream: $0) }
        let dir = try TemporaryDirectory()
        try output.write(to: dir.url.appendingPathComponent("e.gz"))
        #expect(try await Command.check(["gzip", "-dc", dir.appending("e.gz")]).stdoutData.isEmpty)
    }

    @Test("zstd: zstd -d restores the input; 1 and 2 workers, small writes and one large write give the same bytes")
    func zstd() async throws {
        let input = mixedInput()
        let one = try compress(input) { try ZstdCompressor(downstream: $0, threads: 1) }
        let two = try compress(input) { try ZstdCompressor(downstream: $0, threads: 2) }
        #expect(one == two)
        // One 3 MiB write is handed to libzstd in slices of ZstdCompressor.inputSlice: the frame does not change.
        #expect(input.count > 8 * ZstdCompressor.inputSlice)
        let whole = try compress(input, whole: true) { try ZstdCompressor(downstream: $0, threads: 2) }
        #expect(whole == one)
        let dir = try TemporaryDirectory()
        try one.write(to: dir.url.appendingPathComponent("x.zst"))
        #expect(try await Command.check(["zstd", "-dc", dir.appending("x.zst")]).stdoutData == input)
    }

    @Test("pax writer: GNU tar lists owner, mode, time; a short entry is refused")
    func paxWriter() async throws {
        let sink = CollectingSink()
        let writer = try PaxStreamWriter(sink: sink)
        try writer.begin(TarEntry(path: "disk/", kind: .directory, mode: 0o555, uid: 107, gid: 107, userName: "qemu", groupName: "qemu", modificationTime: 86400))
        try writer.begin(TarEntry(path: "disk/disk.img", kind: .file(size: 5), mode: 0o444, uid: 107, gid: 107, userName: "qemu", groupName: "qemu", modificationTime: 86400))
        try Data("hello".utf8).withUnsafeBytes { try writer.writeData($0) }
        try writer.finish()
        let dir = try TemporaryDirectory()
        try sink.data.write(to: dir.url.appendingPathComponent("a.tar"))
        let listing = try await Command.check(["tar", "--numeric-owner", "-tvf", dir.appending("a.tar")], environment: ["TZ": "UTC"]).stdout
        #expect(listing.contains("dr-xr-xr-x 107/107"))
        #expect(listing.contains("-r--r--r-- 107/107"))
        #expect(listing.contains(" 5 1970-01-02 00:00 disk/disk.img"))

        let short = try PaxStreamWriter(sink: CollectingSink())
        try short.begin(TarEntry(path: "f", kind: .file(size: 10), mode: 0o444, uid: 0, gid: 0, modificationTime: 0))
        #expect(throws: ArchiveError.sizeMismatch(path: "f", declared: 10, written: 0)) { try short.finish() }
    }
}
