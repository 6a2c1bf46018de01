// Hashes bytes on their way through a pipeline (diff_id before compression, digest after).
import Archive
import Crypto

/// A ``ByteSink`` that computes the SHA-256 and size of what passes through, then forwards it.
public final class DigestingSink: ByteSink {
    private var hasher = SHA256()
    private let downstream: ByteSink?
    /// Bytes seen so far.
    public private(set) var count: Int64 = 0
    /// The digest, available after ``finish()``.
    public private(set) var digest: Digest?

    /// Creates a hashing stage.
    /// - Parameter downstream: The next stage, or nil to only hash.
    public init(downstream: ByteSink?) {
        self.downstream = downstream
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        hasher.update(bufferPointer: bytes)
        count += Int64(bytes.count)
        try downstream?.write(bytes)
    }

    public func finish() throws {
        digest = Digest(hasher.finalize())
        try downstream?.finish()
    }
}
