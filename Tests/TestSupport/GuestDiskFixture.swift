// Makes small disk images that libguestfs inspects as Debian, with tools nobody here wrote.
import Foundation

/// Builds test disks from a directory tree with `virt-make-fs` (libguestfs' own tool).
public enum GuestDiskFixture {
    /// Makes a qcow2 disk holding one ext4 filesystem labelled `rootfs` with just enough of a
    /// Debian tree (`/etc/os-release`, `/etc/fstab`, `/bin/sh`) for libguestfs inspection.
    /// - Parameters:
    ///   - path: Where to write the disk.
    ///   - version: Debian major version written into os-release.
    ///   - extraFiles: Guest path → contents, added to the tree.
    public static func makeDebianLikeDisk(at path: String, version: Int = 13, extraFiles: [String: String] = [:]) async throws {
        try TestTier.requireVMTier("a libguestfs-made guest disk")
        let tree = try TemporaryDirectory(prefix: "labforge-tree")
        defer { tree.remove() }
        let codename = version == 12 ? "bookworm" : "trixie"
        var files: [String: String] = [
            "etc/os-release": """
                PRETTY_NAME="Debian GNU/Linux \(version) (\(codename))"
                NAME="Debian GNU/Linux"
                VERSION_ID="\(version)"
                VERSION="\(version) (\(codename))"
                VERSION_CODENAME=\(codename)
                ID=debian

                """,
            "etc/debian_version": "\(version).1\n",
            "etc/fstab": "LABEL=rootfs / ext4 defaults 0 1\n",
            "etc/hostname": "fixture\n",
            "etc/hosts": "127.0.0.1 localhost\n",
        ]
        files.merge(extraFiles.map { (String($0.key.drop { $0 == "/" }), $0.value) }) { $1 }
        for (relative, contents) in files {
            let url = tree.url.appendingPathComponent(relative)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try contents.write(to: url, atomically: true, encoding: .utf8)
        }
        let bin = tree.url.appendingPathComponent("bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        // A real ELF binary: inspection reads the guest's architecture from it.
        try FileManager.default.copyItem(atPath: "/bin/ls", toPath: bin.appendingPathComponent("ls").path)
        try FileManager.default.createSymbolicLink(atPath: bin.appendingPathComponent("sh").path, withDestinationPath: "ls")
        try await Command.check(
            ["virt-make-fs", "--format=qcow2", "--type=ext4", "--label=rootfs", "--size=+64M", tree.path, path],
            environment: ["LIBGUESTFS_BACKEND_SETTINGS": "force_tcg"]
        )
    }
}
