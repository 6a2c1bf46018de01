// A pipeline stage that runs the stages after it on a thread of their own.
import Foundation

/// A ``ByteSink`` that copies what it is given into a few fixed buffers and passes them on to `downstream` from a
/// dedicated thread, so that the stages after it (hashing, writing) run beside the stages before it (tar,
/// compression) instead of after them. A `tar | zstd > file` shell pipeline gets this for free from its processes;
/// a single pass over the disk in one thread does not.
///
/// The bytes reach `downstream` in order and unchanged. The first error `downstream` throws is thrown from the next
/// ``write(_:)`` that hands over a buffer, or from ``finish()``; later bytes are dropped. Abandoned without ``finish()``, the sink drops what is
/// queued and its thread ends.
public final class BackgroundSink: ByteSink {
    private let bufferSize: Int
    private let state: State
    private var current: UnsafeMutableRawBufferPointer
    private var fill = 0
    private var finished = false

    /// Starts the thread.
    /// - Parameters:
    ///   - downstream: The next stage; from now on only the sink's thread calls it, until ``finish()`` calls its
    ///     `finish()` from the caller's thread.
    ///   - bufferSize: The size of each buffer handed to the thread.
    ///   - buffers: How many buffers may be in flight (at least 2).
    ///   - name: The thread's name (seen in `top -H` and in crash reports).
    public init(downstream: ByteSink, bufferSize: Int = 1 << 20, buffers: Int = 3, name: String = "labforge.sink") {
        let count = max(2, buffers)
        self.bufferSize = bufferSize
        state = State(downstream: downstream, buffers: (1..<count).map { _ in .allocate(byteCount: bufferSize, alignment: 64) })
        current = .allocate(byteCount: bufferSize, alignment: 64)
        let thread = Thread { [state] in state.drain() }
        thread.name = name
        thread.start()
    }

    deinit {
        if !finished {
            state.abandon()
        }
        current.deallocate()
    }

    /// Copies `bytes` into the current buffer, handing each full buffer to the thread.
    /// - Throws: The first error of `downstream`.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let take = min(bufferSize - fill, bytes.count - offset)
            (current.baseAddress! + fill).copyMemory(from: bytes.baseAddress! + offset, byteCount: take)
            fill += take
            offset += take
            if fill == bufferSize {
                current = state.exchange(current, count: fill)
                fill = 0
                try state.check()
            }
        }
    }

    /// Hands over the last bytes, waits until `downstream` has written everything, then finishes it.
    /// - Throws: The first error of `downstream`.
    public func finish() throws {
        if fill > 0 {
            current = state.exchange(current, count: fill)
            fill = 0
        }
        finished = true
        try state.end()
    }

    /// What the caller and the thread share, behind one condition.
    private final class State: @unchecked Sendable {
        private let downstream: ByteSink
        private let condition = NSCondition()
        // Guarded by `condition`:
        private var free: [UnsafeMutableRawBufferPointer]
        private var queued: [(buffer: UnsafeMutableRawBufferPointer, count: Int)] = []
        private var ending = false
        private var abandoned = false
        private var drained = false
        private var failure: Error?

        init(downstream: ByteSink, buffers: [UnsafeMutableRawBufferPointer]) {
            self.downstream = downstream
            self.free = buffers
        }

        deinit {
            for buffer in free { buffer.deallocate() }
            for item in queued { item.buffer.deallocate() }
        }

        /// Queues a filled buffer and returns an empty one, waiting while all are in flight. The thread returns every
        /// buffer, written or (after a failure) dropped, so the wait ends; the caller owns exactly one buffer always.
        func exchange(_ filled: UnsafeMutableRawBufferPointer, count: Int) -> UnsafeMutableRawBufferPointer {
            condition.lock()
            defer { condition.unlock() }
            queued.append((filled, count))
            condition.broadcast()
            while free.isEmpty {
                condition.wait()
            }
            return free.removeLast()
        }

        /// Throws the first error of `downstream`, if there was one.
        func check() throws {
            condition.lock()
            let failure = failure
            condition.unlock()
            if let failure { throw failure }
        }

        /// Waits until every queued buffer is written, then finishes `downstream`.
        func end() throws {
            condition.lock()
            ending = true
            condition.broadcast()
            while !drained {
                condition.wait()
            }
            let failure = failure
            condition.unlock()
            if let failure { throw failure }
            try downstream.finish()
        }

        /// Tells the thread to drop what is queued and stop.
        func abandon() {
            condition.lock()
            abandoned = true
            condition.broadcast()
            condition.unlock()
        }

        /// The thread's loop: writes queued buffers in order until the stream ends or is abandoned.
        func drain() {
            condition.lock()
            while true {
                while queued.isEmpty && !ending && !abandoned {
                    condition.wait()
                }
                if queued.isEmpty || abandoned {
                    drained = true
                    condition.broadcast()
                    condition.unlock()
                    return
                }
                let item = queued.removeFirst()
                let skip = failure != nil
                condition.unlock()
                var error: Error?
                if !skip {
                    do {
                        try downstream.write(UnsafeRawBufferPointer(rebasing: item.buffer[0..<item.count]))
                    } catch let thrown {
                        error = thrown
                    }
                }
                condition.lock()
                if let error, failure == nil { failure = error }
                free.append(item.buffer)
                condition.broadcast()
            }
        }
    }
}
