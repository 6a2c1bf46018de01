// Whole guest directories out as one tar stream: one call instead of one per file.
import CGuestfs
import Foundation

extension Appliance {
    /// `GUESTFS_TAR_OUT_OPTS_EXCLUDES_BITMASK` (`UINT64_C(1)<<2`, a macro Swift does not import).
    private static let tarOutExcludes: UInt64 = 1 << 2

    /// Writes an uncompressed tar of a guest directory to a host file (`tar_out`; entries are `./relative/path`).
    /// - Parameters:
    ///   - directory: Absolute guest directory.
    ///   - hostPath: Destination tar file on the host.
    ///   - excludes: GNU tar `--exclude` patterns, to leave out what is not needed.
    /// - Throws: ``GuestfsError/call(function:message:errno:)`` naming the directory.
    public func tarOut(_ directory: String, to hostPath: String, excludes: [String] = []) throws {
        var cStrings = excludes.map { strdup($0) }
        defer { cStrings.forEach { free($0) } }
        cStrings.append(nil)
        let rc = cStrings.withUnsafeMutableBufferPointer { buffer -> Int32 in
            var options = guestfs_tar_out_opts_argv()
            if !excludes.isEmpty {
                options.bitmask = Self.tarOutExcludes
                options.excludes = UnsafePointer(buffer.baseAddress)
            }
            return guestfs_tar_out_opts_argv(handle, directory, hostPath, &options)
        }
        try check(rc, "tar_out \(directory)")
    }
}
