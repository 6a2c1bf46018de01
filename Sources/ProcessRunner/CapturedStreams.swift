// Collects a child's standard output and error as they arrive and passes whole lines to the build log.
import Foundation
import Synchronization

/// The two streams of one child: a bounded tail of each, and a line-by-line feed to the log.
final class CapturedStreams: Sendable {
    enum Stream { case stdout, stderr }

    private struct State {
        var stdout = Data()
        var stderr = Data()
        var pendingLine: [Stream: Data] = [:]
    }

    private let state = Mutex(State())
    private let limit: Int
    private let log: (@Sendable (String) -> Void)?

    init(limit: Int, log: (@Sendable (String) -> Void)?) {
        self.limit = max(limit, 4096)
        self.log = log
    }

    /// Adds a chunk read from `stream`.
    func append(_ bytes: UnsafeRawBufferPointer, to stream: Stream) {
        guard !bytes.isEmpty else { return }
        var lines: [String] = []
        state.withLock { state in
            switch stream {
            case .stdout: Self.appendBounded(bytes, to: &state.stdout, limit: limit)
            case .stderr: Self.appendBounded(bytes, to: &state.stderr, limit: limit)
            }
            guard log != nil else { return }
            var pending = state.pendingLine[stream] ?? Data()
            pending.append(contentsOf: bytes)
            while let newline = pending.firstIndex(of: 0x0A) {
                lines.append(String(decoding: pending[pending.startIndex..<newline], as: UTF8.self))
                pending = Data(pending[pending.index(after: newline)...])
            }
            // A tool that never prints a newline (a progress spinner) must not grow this without bound.
            if pending.count > 64 << 10 {
                lines.append(String(decoding: pending, as: UTF8.self))
                pending = Data()
            }
            state.pendingLine[stream] = pending
        }
        if let log { for line in lines { log(line) } }
    }

    /// Passes unterminated last lines to the log.
    func flush() {
        guard let log else { return }
        let rest = state.withLock { state -> [String] in
            defer { state.pendingLine = [:] }
            return [Stream.stdout, .stderr].compactMap { state.pendingLine[$0] }.filter { !$0.isEmpty }.map { String(decoding: $0, as: UTF8.self) }
        }
        for line in rest { log(line) }
    }

    var stdout: Data { state.withLock { $0.stdout } }
    var stderrText: String { state.withLock { String(decoding: $0.stderr, as: UTF8.self) } }

    private static func appendBounded(_ bytes: UnsafeRawBufferPointer, to data: inout Data, limit: Int) {
        data.append(contentsOf: bytes)
        // Trim in large steps so a chatty tool does not cost a copy per chunk.
        if data.count > limit + limit / 4 { data = Data(data.suffix(limit)) }
    }
}
