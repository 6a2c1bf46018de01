// Where streamed bytes go: the next stage of a pipeline (hasher, compressor, file).

/// Receives a stream of bytes in order. Implementations may hash, compress or write them.
public protocol ByteSink: AnyObject {
    /// Takes the next bytes of the stream. The buffer is only valid during the call.
    /// - Parameter bytes: The bytes.
    /// - Throws: When the bytes cannot be passed on.
    func write(_ bytes: UnsafeRawBufferPointer) throws
    /// Flushes everything and ends the stream.
    /// - Throws: When the end cannot be written.
    func finish() throws
}
