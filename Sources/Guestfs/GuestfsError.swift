// Errors from libguestfs calls, carrying the library's own message.

/// A libguestfs call failed.
public enum GuestfsError: Error, CustomStringConvertible, Sendable, Equatable {
    /// `guestfs_create` returned NULL (out of memory or a broken libguestfs install).
    case handleCreation
    /// A call returned an error; `message` is `guestfs_last_error`.
    case call(function: String, message: String, errno: Int32)
    /// The appliance did not start; `applianceTail` is the end of what qemu and the appliance printed.
    case launchFailed(message: String, applianceTail: String)
    /// The appliance did not come up within the launch's time limit; its qemu was killed.
    case launchTimedOut(accelerator: String, seconds: Double, applianceTail: String)
    /// Inspection found no operating system on the disk.
    case noOperatingSystem(disk: String)
    /// Inspection found more than one operating system; labforge customizes single-OS disks.
    case multipleOperatingSystems(disk: String, roots: [String])

    public var description: String {
        switch self {
        case .handleCreation:
            return "libguestfs: could not create a handle (is libguestfs installed? run `make deps`)"
        case .call(let function, let message, _):
            return "libguestfs \(function): \(message)"
        case .launchFailed(let message, let tail):
            let hint = "run `LIBGUESTFS_DEBUG=1 libguestfs-test-tool` to see why the appliance does not start"
            return "libguestfs could not start its appliance: \(message)\n" + (tail.isEmpty ? "" : "last appliance output:\n\(tail)\n") + hint
        case .launchTimedOut(let accelerator, let seconds, let tail):
            return "the libguestfs appliance did not come up under \(accelerator.uppercased()) within \(Int(seconds)) s and was stopped\n"
                + (tail.isEmpty ? "" : "last appliance output:\n\(tail)\n")
                + "run `LIBGUESTFS_DEBUG=1 libguestfs-test-tool` to see where it stops; `--accel tcg` (or LABFORGE_ACCEL=tcg) skips KVM"
        case .noOperatingSystem(let disk):
            return "\(disk): libguestfs found no operating system on this disk (is it a bootable Linux disk image?)"
        case .multipleOperatingSystems(let disk, let roots):
            return "\(disk): found \(roots.count) operating systems (\(roots.joined(separator: ", "))); labforge needs a disk with exactly one"
        }
    }
}
