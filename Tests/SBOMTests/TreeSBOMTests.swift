// A root tree's SBOM read on the host (a pod image before it is packed): the same packages and licenses a disk gives,
// and nothing read or hashed through a symbolic link planted in the tree.
import Foundation
@testable import SBOM
import Testing
import TestSupport

@Suite("SBOM of a root tree")
struct TreeSBOMTests {
    /// A tree with the fixture's dpkg database and copyright files, an os-release, and the given extra files.
    static func tree(in directory: TemporaryDirectory, extra: [String: String] = [:]) throws -> String {
        let root = directory.appending("root")
        for (path, contents) in DpkgStatusFixture.files.merging(extra, uniquingKeysWith: { $1 }).merging(
            ["/etc/os-release": "PRETTY_NAME=\"Debian GNU/Linux 13 (trixie)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"13\"\nID=debian\n"], uniquingKeysWith: { $1 }) {
            let file = root + path
            try FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try contents.write(toFile: file, atomically: false, encoding: .utf8)
        }
        return root
    }

    @Test("packages, licenses (a doc directory linked to a sibling's followed by name), os-release, world-readable recipe files hashed")
    func readsTree() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let root = try Self.tree(in: directory, extra: ["/etc/motd": "Welcome to the lab.\n", "/etc/lab-secret": "secret\n"])
        _ = chmod(root + "/etc/lab-secret", 0o600)
        // novnc's documentation directory is a link to ttyd's, by name: followed inside the tree.
        try FileManager.default.removeItem(atPath: root + "/usr/share/doc/novnc")
        try FileManager.default.createSymbolicLink(atPath: root + "/usr/share/doc/novnc", withDestinationPath: "ttyd")
        let inventory = try TreeInventoryReader().read(
            root: root, subject: .init(name: "lab", version: "1.0.0"), filePaths: ["/etc/motd", "/etc/lab-secret", "/etc/missing"])
        #expect(inventory.packages.count == 5)
        #expect(inventory.packages.first { $0.name == "ttyd" }?.license == "MIT")
        #expect(inventory.packages.first { $0.name == "novnc" }?.license == "MIT")
        #expect(inventory.operatingSystem == .init(distro: "debian", majorVersion: 13, productName: "Debian GNU/Linux 13 (trixie)"))
        #expect(inventory.files.map(\.path) == ["/etc/motd"], "private and missing files are left out")
        let expected = try await Command.check(["sha256sum", root + "/etc/motd"]).stdout.prefix(64)
        #expect(inventory.files.first?.sha256 == String(expected))
    }

    @Test("a link planted in the tree is never read through: the dpkg database, a hashed file, a copyright's parent directory")
    func refusesLinks() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let root = try Self.tree(in: directory)
        // A host file the tree must not make labforge read or publish a hash of.
        let host = directory.appending("host-secret")
        try "host\n".write(toFile: host, atomically: false, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: root + "/etc/motd", withDestinationPath: host)
        try FileManager.default.removeItem(atPath: root + "/usr/share/doc/ttyd")
        try FileManager.default.createDirectory(atPath: directory.appending("hostdoc"), withIntermediateDirectories: true)
        try DpkgStatusFixture.copyrights["/usr/share/doc/ttyd/copyright"]!.write(toFile: directory.appending("hostdoc/copyright"), atomically: false, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: root + "/usr/share/doc/ttyd", withDestinationPath: directory.appending("hostdoc"))
        let inventory = try TreeInventoryReader().read(root: root, subject: .init(name: "lab"), filePaths: ["/etc/motd"])
        #expect(inventory.files.isEmpty, "a symlinked recipe file is skipped, as on a disk")
        #expect(inventory.packages.first { $0.name == "ttyd" }?.license == nil, "an absolute doc link is not followed")

        try FileManager.default.removeItem(atPath: root + "/var/lib/dpkg/status")
        try FileManager.default.createSymbolicLink(atPath: root + "/var/lib/dpkg/status", withDestinationPath: host)
        #expect(throws: SBOMError.missingPackageDatabase(disk: root, path: "/var/lib/dpkg/status")) {
            try TreeInventoryReader().read(root: root, subject: .init(name: "lab"))
        }
        try FileManager.default.removeItem(atPath: root + "/var/lib/dpkg")
        try DpkgStatusFixture.status.write(toFile: directory.appending("hostdoc/status"), atomically: false, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: root + "/var/lib/dpkg", withDestinationPath: directory.appending("hostdoc"))
        #expect(throws: SBOMError.self) { try TreeInventoryReader().read(root: root, subject: .init(name: "lab")) }
    }
}
