// Running programs inside the mounted guest (its own shell, its own package manager).
import CGuestfs

extension Appliance {
    /// Runs `/bin/sh -c script` in the guest, chrooted at the mounted root.
    ///
    /// libguestfs returns only standard output; the script's standard error reaches the appliance
    /// output (the build log). Append `2>&1` to capture it in the result.
    /// - Parameter script: A shell script.
    /// - Returns: Its standard output.
    /// - Throws: ``GuestfsError/call(function:message:errno:)`` whose message holds the exit status and error output.
    public func shell(_ script: String) throws -> String {
        try string(guestfs_sh(handle, script), "sh")
    }

    /// Runs a program with arguments in the guest, without a shell.
    /// - Parameter arguments: Program (absolute guest path) and arguments.
    /// - Returns: Its standard output.
    /// - Throws: ``GuestfsError/call(function:message:errno:)``.
    public func command(_ arguments: [String]) throws -> String {
        try withCStringArray(arguments) { try string(guestfs_command(handle, $0), "command \(arguments.first ?? "")") }
    }

    /// Discards unused blocks so the disk image shrinks (call after deleting files).
    /// - Parameter mountpoint: A mounted filesystem.
    /// - Throws: ``GuestfsError/call(function:message:errno:)``.
    public func trim(_ mountpoint: String = "/") throws {
        var options = guestfs_fstrim_argv()
        try check(guestfs_fstrim_argv(handle, mountpoint, &options), "fstrim \(mountpoint)")
    }

    /// Flushes guest writes to the disk image.
    /// - Throws: ``GuestfsError/call(function:message:errno:)``.
    public func sync() throws {
        try check(guestfs_sync(handle), "sync")
    }
}
