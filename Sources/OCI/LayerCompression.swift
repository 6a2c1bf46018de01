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

    /// Builds the compression stage in front of `downstream` (nil for none).
    func compressor(into downstream: ByteSink) throws -> ByteSink? {
        switch self {
        case .gzip: return ParallelGzipCompressor(downstream: downstream, level: 6)
        case .zstd: return try ZstdCompressor(downstream: downstream, level: 3)
        case .none: return nil
        }
    }
}
