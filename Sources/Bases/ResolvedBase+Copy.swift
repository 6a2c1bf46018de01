// Copying a shared base out of the cache into a disk the caller owns.
import AtomicFile
import DiskImage
import Foundation

extension ResolvedBase {
    /// Writes a fresh, writable, self-contained qcow2 copy of this base (``AtomicFile``: a hidden temp name beside it, then a rename), 0640 like every
    /// disk labforge writes (``FileAccess``).
    /// - Parameter destination: Path of the new disk; replaced if it exists.
    /// - Throws: ``BasesError/toolFailed(tool:arguments:status:output:)`` when qemu-img fails, ``AtomicFileError``.
    public func copy(to destination: String) async throws {
        // No fsync, as for every disk labforge writes: qemu-img does not flush, and a copy lost in a crash is made again.
        try await AtomicFile.replace(destination, mode: FileAccess.diskFileMode, sync: false) { temporary in
            // qemu-img writes only allocated clusters: a compact copy, no backing file.
            try await PackagedTool.qemuImg.run(["convert", "-q", "-f", format.rawValue, "-O", "qcow2", path, temporary])
        }
    }
}
