// How the containerDisk layer is compressed, and the media type that says so.
import Archive

/// Layer compression. gzip is the default: every registry, CDI and KubeVirt version reads it.
public enum LayerCompression: String, Sendable, Codable, CaseIterable {
    case gzip
    case zstd
    case none

    /// The layer's media type.
    public var mediaType: String {
        switch self {
        case .gzip: return MediaType.layerTarGzip
        case .zstd: return MediaType.layerTarZstd
        case .none: return MediaType.layerTar
        }
    }

    /// Builds the stages between a layer's tar writer and `blob`, the hasher of the file's bytes (the digest).
    ///
    /// Compressed, a layer runs on three threads besides the compressor's own, as `tar | zstd > file` runs in three
    /// processes: the caller's reads and frames the input; the next hashes the tar (the diff_id) and compresses it;
    /// the last hashes the blob and writes it. The two sha256 an OCI layer needs (2.5 s of CPU for bench/package.sh's
    /// 2 GiB at 1.4 GB/s) then overlap the compression instead of following it; measured in docs/benchmarks-package.md.
    /// - Parameter blob: The digest stage in front of the file.
    /// - Returns: What the tar writer writes into, and the diff_id stage (nil for `none`: the blob is the tar).
    func stages(into blob: DigestingSink) throws -> (tar: ByteSink, diffID: DigestingSink?) {
        let compressor: ByteSink
        switch self {
        case .none: return (blob, nil)
        case .gzip: compressor = ParallelGzipCompressor(downstream: BackgroundSink(downstream: blob, name: "labforge.blob"), level: 6)
        case .zstd: compressor = try ZstdCompressor(downstream: BackgroundSink(downstream: blob, name: "labforge.blob"), level: 3)
        }
        let diffID = DigestingSink(downstream: compressor)
        return (BackgroundSink(downstream: diffID, name: "labforge.compress"), diffID)
    }
}
