// A scratch directory per test, removed when the test is done.
import Foundation

/// A fresh directory under the system temp dir; removed by ``remove()`` or at deinit.
public final class TemporaryDirectory: @unchecked Sendable {
    /// The directory's URL.
    public let url: URL
    /// The directory's path.
    public var path: String { url.path }

    /// Creates the directory.
    /// - Parameter prefix: Start of the directory name, to find leftovers.
    public init(prefix: String = "labforge-test") throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// A path inside the directory.
    public func appending(_ component: String) -> String {
        url.appendingPathComponent(component).path
    }

    /// Deletes the directory and its contents.
    public func remove() {
        try? FileManager.default.removeItem(at: url)
    }

    deinit { remove() }
}
