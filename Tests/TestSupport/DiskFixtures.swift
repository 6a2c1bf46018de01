// Disk images made with qemu-img and qemu-io, the tools users have, for packaging tests.
import Foundation

/// Small disks with known contents.
public enum DiskFixtures {
    /// A qcow2 with an MBR partition table (sfdisk) over an incompressible region (random bytes at 0), a patterned
    /// region (at 64 MiB) and unallocated space.
    /// - Parameters:
    ///   - path: Where to create it.
    ///   - virtualSize: Virtual size, e.g. `256M`.
    ///   - randomMiB: MiB of random data at the start.
    public static func makeQcow2(at path: String, virtualSize: String = "256M", randomMiB: Int = 8) async throws {
        let random = path + ".random"
        defer { try? FileManager.default.removeItem(atPath: random) }
        try await Command.check(["dd", "if=/dev/urandom", "of=\(random)", "bs=1M", "count=\(randomMiB)", "status=none"])
        // A partition table, as on any real disk (labforge refuses a disk with neither one nor a file system).
        try await Command.check(["sfdisk", "-q", random], input: Data("start=8, type=83\n".utf8))
        try await Command.check(["qemu-img", "create", "-q", "-f", "qcow2", path, virtualSize])
        try await Command.check(["qemu-img", "convert", "-n", "-f", "raw", random, "--target-image-opts", "driver=qcow2,file.filename=\(path)"])
        try await Command.check(["qemu-io", "-f", "qcow2", "-c", "write -q -P 0x5a 64M 16M", path])
    }
}
