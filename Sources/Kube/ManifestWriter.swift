// Writes rendered manifests into a directory: every file to a temp name first, then renamed into place.
import Foundation

/// Writes ``ManifestFile``s so that no reader ever sees a half-written file.
public enum ManifestWriter {
    /// Where `labforge build` keeps an image's manifests: `<images>/<name>/<version>/manifests`.
    /// - Parameters:
    ///   - imagesRoot: The output tree, `images` by default.
    ///   - image: The image.
    /// - Returns: The directory path.
    public static func defaultDirectory(imagesRoot: String = "images", for image: ImageDescription) -> String {
        URL(fileURLWithPath: imagesRoot).appendingPathComponent(image.name).appendingPathComponent(image.version)
            .appendingPathComponent("manifests").relativePath
    }

    /// Writes the files into `directory` (created when missing).
    /// - Parameters:
    ///   - files: The rendered files.
    ///   - directory: The output directory.
    /// - Returns: The paths written, in order.
    /// - Throws: ``KubeError/writeFailed(path:reason:)``.
    @discardableResult
    public static func write(_ files: [ManifestFile], to directory: String) throws -> [String] {
        let fileManager = FileManager.default
        do {
            try fileManager.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw KubeError.writeFailed(path: directory, reason: error.localizedDescription)
        }
        var written: [String] = []
        for file in files {
            let url = URL(fileURLWithPath: directory).appendingPathComponent(file.name)
            do {
                // `.atomic` writes a temporary file beside the target and renames it over the target.
                try Data(file.contents.utf8).write(to: url, options: .atomic)
            } catch {
                throw KubeError.writeFailed(path: url.path, reason: error.localizedDescription)
            }
            written.append(url.path)
        }
        return written
    }
}
