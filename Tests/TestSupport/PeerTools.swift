// Where the tests find the peer tools `make deps` unpacks from Debian 13's pool (oras, cosign): .tools/bin.
import Foundation

/// Paths of tools Debian 12 does not package.
public enum PeerTools {
    /// `$LABFORGE_TOOLS/bin` or `<repository>/.tools/bin` (scripts/peer-tools.sh).
    public static var bin: String {
        if let explicit = ProcessInfo.processInfo.environment["LABFORGE_TOOLS"] { return explicit + "/bin" }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(".tools/bin").path
    }

    /// The path of `name` (e.g. `oras`), installing the pinned tools with scripts/peer-tools.sh when missing.
    /// - Parameter name: Tool name.
    /// - Returns: Its executable path.
    /// - Throws: ``CommandFailure`` when the install script fails.
    public static func path(_ name: String) async throws -> String {
        let path = bin + "/" + name
        if !FileManager.default.isExecutableFile(atPath: path) {
            let script = URL(fileURLWithPath: bin).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("scripts/peer-tools.sh").path
            try await Command.check(["bash", script])
        }
        return path
    }
}
