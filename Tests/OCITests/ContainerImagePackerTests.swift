// A root tree packed as a runnable container image, checked with skopeo, umoci and GNU tar.
import Foundation
import OCI
import Testing
import TestSupport

@Suite("Container image packer")
struct ContainerImagePackerTests {
    /// A small tree with what a Debian root has: directories, files, a symlink, a hard link, a setuid binary,
    /// a file of another owner, and a FIFO (left out).
    static func makeTree(in directory: TemporaryDirectory) throws -> String {
        let root = directory.appending("root")
        for path in ["usr/bin", "etc", "home/student", "dev", "proc"] {
            try FileManager.default.createDirectory(atPath: root + "/" + path, withIntermediateDirectories: true)
        }
        try "hello\n".write(toFile: root + "/etc/motd", atomically: true, encoding: .utf8)
        try "#!/bin/sh\necho su\n".write(toFile: root + "/usr/bin/su", atomically: true, encoding: .utf8)
        chmod(root + "/usr/bin/su", 0o4755)
        try "notes\n".write(toFile: root + "/home/student/notes", atomically: true, encoding: .utf8)
        chown(root + "/home/student/notes", 1000, 1000)
        chown(root + "/home/student", 1000, 1000)
        try FileManager.default.createSymbolicLink(atPath: root + "/usr/bin/motd-link", withDestinationPath: "../../etc/motd")
        link(root + "/etc/motd", root + "/etc/motd.hard")
        mkfifo(root + "/etc/fifo", 0o644)
        try "null\n".write(toFile: root + "/dev/not-shipped", atomically: true, encoding: .utf8)
        return root
    }

    static func options(force: Bool = false) throws -> ContainerImageOptions {
        ContainerImageOptions(
            name: try RepositoryName("labs/tree-pod"), tag: try Tag("1.0"), user: "1000:1000", exposedPorts: [7681, 6080],
            environment: ["HOME=/home/student", "PATH=/usr/bin:/bin"], workingDirectory: "/home/student",
            entrypoint: ["/usr/bin/tini", "-g", "--", "/usr/libexec/labforge/lab-init"],
            annotations: ["dev.labforge.recipe.fingerprint": "abc"], timestamp: 1_700_000_000, force: force)
    }

    @Test("skopeo reads the config (User, ports, Entrypoint, Env, WorkingDir, labels); umoci unpacks owners, links and no setuid")
    func packAndRead() async throws {
        let directory = try TemporaryDirectory(prefix: "labforge-tree")
        let root = try Self.makeTree(in: directory)
        let layout = directory.appending("oci")
        let packed = try ContainerImagePacker().package(tree: root, into: layout, options: try Self.options())
        #expect(packed.layer.strippedSetuid == ["/usr/bin/su"])
        #expect(packed.layer.skippedSpecialFiles == 1)

        let raw = try await Command.check(["skopeo", "inspect", "--raw", "oci:\(layout):1.0"]).stdoutData
        #expect(Digest.sha256(of: raw) == packed.manifestDigest)
        let config = try JSONSerialization.jsonObject(with: try await Command.check(["skopeo", "inspect", "--config", "oci:\(layout):1.0"]).stdoutData) as? [String: Any]
        let execution = try #require(config?["config"] as? [String: Any])
        #expect(execution["User"] as? String == "1000:1000")
        #expect((execution["ExposedPorts"] as? [String: Any]).map { Set($0.keys) } == ["7681/tcp", "6080/tcp"])
        #expect(execution["Entrypoint"] as? [String] == ["/usr/bin/tini", "-g", "--", "/usr/libexec/labforge/lab-init"])
        #expect(execution["WorkingDir"] as? String == "/home/student")
        #expect((execution["Labels"] as? [String: String])?["dev.labforge.recipe.fingerprint"] == "abc")

        let bundle = directory.appending("bundle")
        try await Command.check(["umoci", "unpack", "--image", "\(layout):1.0", bundle])
        let unpacked = bundle + "/rootfs"
        var info = stat()
        #expect(lstat(unpacked + "/usr/bin/su", &info) == 0 && info.st_mode & 0o6000 == 0)
        #expect(lstat(unpacked + "/home/student/notes", &info) == 0 && info.st_uid == 1000 && info.st_gid == 1000)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: unpacked + "/usr/bin/motd-link") == "../../etc/motd")
        var hard = stat()
        #expect(stat(unpacked + "/etc/motd", &info) == 0 && stat(unpacked + "/etc/motd.hard", &hard) == 0 && info.st_ino == hard.st_ino)
        #expect(!FileManager.default.fileExists(atPath: unpacked + "/etc/fifo"))
        #expect(!FileManager.default.fileExists(atPath: unpacked + "/dev/not-shipped"))
        #expect(FileManager.default.fileExists(atPath: unpacked + "/dev"))
        // Every time clamped to the given epoch.
        let listing = try await Command.check(["tar", "--full-time", "-tvzf", layout + "/blobs/sha256/" + packed.layer.digest.hex]).stdout
        #expect(!listing.contains("2025-") && !listing.contains("2026-"), "\(listing)")
    }

    @Test("the same tree packs to the same digests twice (reproducible)")
    func reproducible() throws {
        let directory = try TemporaryDirectory(prefix: "labforge-tree-repro")
        let root = try Self.makeTree(in: directory)
        let first = try ContainerImagePacker().package(tree: root, into: directory.appending("a"), options: try Self.options())
        let second = try ContainerImagePacker().package(tree: root, into: directory.appending("b"), options: try Self.options())
        #expect(first.manifestDigest == second.manifestDigest)
        #expect(first.layer.diffID == second.layer.diffID)
    }

    @Test("an existing layout is replaced only with force; a missing tree is a clear error")
    func refusals() throws {
        let directory = try TemporaryDirectory(prefix: "labforge-tree-refuse")
        let root = try Self.makeTree(in: directory)
        let layout = directory.appending("oci")
        _ = try ContainerImagePacker().package(tree: root, into: layout, options: try Self.options())
        #expect(throws: ContainerDiskError.outputExists(path: layout)) {
            try ContainerImagePacker().package(tree: root, into: layout, options: try Self.options())
        }
        _ = try ContainerImagePacker().package(tree: root, into: layout, options: try Self.options(force: true))
        #expect(throws: ContainerDiskError.self) {
            try ContainerImagePacker().package(tree: directory.appending("missing"), into: directory.appending("x"), options: try Self.options())
        }
    }
}
