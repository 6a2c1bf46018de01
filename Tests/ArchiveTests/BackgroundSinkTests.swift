// BackgroundSink: order, completeness and errors across its thread hand-off.
import Archive
import Foundation
import Synchronization
import Testing

/// Records the bytes, the threads that wrote them and whether it was finished; throws once `failAfter` bytes arrived.
/// A test double: a sink that fails in the middle of a stream is the fault under test (a full disk is tested end
/// to end in ContainerDiskFullTests).
final class RecordingSink: ByteSink, @unchecked Sendable {
    struct Failure: Error, Equatable {}
    let lock = NSLock()
    var data = Data()
    var writerThreads = Set<UInt>()
    var finishes = 0
    let failAfter: Int?

    init(failAfter: Int? = nil) {
        self.failAfter = failAfter
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        lock.lock()
        defer { lock.unlock() }
        writerThreads.insert(UInt(pthread_self()))
        if let failAfter, data.count + bytes.count > failAfter { throw Failure() }
        data.append(contentsOf: bytes)
    }

    func finish() throws {
        lock.lock()
        defer { lock.unlock() }
        finishes += 1
    }
}

@Suite("background sink")
struct BackgroundSinkTests {
    /// 300 kB of a counting pattern, written in uneven pieces.
    func feed(_ sink: ByteSink, total: Int = 300_000) throws -> Data {
        let input = Data((0..<total).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 8) })
        try writeUnevenly(input, to: sink, first: 1, factor: 5, modulus: 9_001)
        return input
    }

    @Test("bytes arrive in order and unchanged, from another thread, then downstream is finished once", arguments: [2, 3, 8])
    func order(buffers: Int) throws {
        let recorder = RecordingSink()
        // Buffers far smaller than the input, so the writer waits for free buffers many times.
        let sink = BackgroundSink(downstream: recorder, bufferSize: 4096, buffers: buffers)
        let input = try feed(sink)
        try sink.finish()
        #expect(recorder.data == input)
        #expect(recorder.finishes == 1)
        let caller = UInt(pthread_self())
        #expect(!recorder.writerThreads.contains(caller))
    }

    @Test("an empty stream finishes downstream with no bytes")
    func empty() throws {
        let recorder = RecordingSink()
        let sink = BackgroundSink(downstream: recorder, bufferSize: 4096)
        try sink.finish()
        #expect(recorder.data.isEmpty)
        #expect(recorder.finishes == 1)
    }

    @Test("a downstream error is thrown by a later write or by finish, and downstream is not finished")
    func error() throws {
        let recorder = RecordingSink(failAfter: 100_000)
        let sink = BackgroundSink(downstream: recorder, bufferSize: 4096, buffers: 2)
        #expect(throws: RecordingSink.Failure()) {
            _ = try feed(sink)
            try sink.finish()
        }
        #expect(recorder.finishes == 0)
        #expect(recorder.data.count <= 100_000)
    }

    @Test("abandoned without finish, the thread ends and releases downstream")
    func abandoned() async throws {
        weak var released: RecordingSink?
        do {
            let recorder = RecordingSink()
            released = recorder
            let sink = BackgroundSink(downstream: recorder, bufferSize: 4096)
            _ = try feed(sink, total: 50_000)
        }
        let deadline = Date().addingTimeInterval(10)
        while released != nil && Date() < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(released == nil)
    }
}
