// Errors from extracting a container image layer, naming the layer and the entry at fault.

/// A layer that could not be, or was not allowed to be, extracted.
public enum LayerExtractionError: Error, Sendable, Equatable, CustomStringConvertible {
    /// An entry that a layer may not hold; nothing of it was written.
    case refused(layer: String, entry: String, reason: LayerEntryRefusal)
    /// The blob could not be read or decompressed as the tar its media type says.
    case unreadable(layer: String, message: String)
    /// Writing an entry failed (libarchive's message, or the file system's).
    case writeFailed(layer: String, entry: String, message: String)
    /// The directory to extract into is not usable.
    case badRoot(path: String, message: String)
    /// The layers would unpack to more bytes than the extractor may write (a decompression bomb, or not enough room).
    case tooLarge(layer: String, entry: String, limit: Int64)

    public var description: String {
        switch self {
        case .refused(let layer, let entry, let reason):
            return "layer \(layer): entry \(entry) refused: \(reason)"
        case .unreadable(let layer, let message):
            return "layer \(layer) cannot be read as a tar stream: \(message)"
        case .writeFailed(let layer, let entry, let message):
            return "layer \(layer): writing \(entry) failed: \(message)"
        case .badRoot(let path, let message):
            return "cannot extract layers into \(path): \(message)"
        case .tooLarge(let layer, let entry, let limit):
            return "layer \(layer): entry \(entry) would take the image past \(limit) bytes unpacked, all that may be written "
                + "(the free space of the scratch file system, less a reserve); nothing more is unpacked"
        }
    }
}
