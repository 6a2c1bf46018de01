// Copying a shared base out of the cache into a disk the caller owns.
import DiskImage
import Foundation

extension ResolvedBase {
    /// Writes a fresh, writable, self-contained qcow2 copy of this base (temp name, then rename), 0640 like every
    /// disk labforge writes (``FileAccess``).
    /// - Parameter destination: Path of the new disk; replaced if it exists.
    /// - Throws: ``BasesError/toolFailed(tool:arguments:status:output:)`` when qemu-img fails.
    public func copy(to destination: String) async throws {
        let url = URL(fileURLWithPath: destination)
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).partial").path
        do {
            // qemu-img writes only allocated clusters: a compact copy, no backing file.
            try await ExternalTool.qemuImg.run(["convert", "-q", "-f", format.rawValue, "-O", "qcow2", path, temporary])
            try FileAccess.setMode(temporary, FileAccess.diskFileMode)
            if FileManager.default.fileExists(atPath: destination) { try FileManager.default.removeItem(atPath: destination) }
            try FileManager.default.moveItem(atPath: temporary, toPath: destination)
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
    }
}
