// SBOMs read from a disk the test makes (virt-make-fs), checked with dpkg-query, the official schemas and sha256sum.
import Crypto
import Foundation
import SBOM
import Testing
import TestSupport

@Suite("SBOM: from a disk", .serialized)
struct DiskSBOMTests {
    static let motd = "Welcome to the lab.\n"

    /// A Debian 13-like disk with the fixture's dpkg database, copyright files and a file "the recipe uploaded".
    static func makeDisk(in directory: TemporaryDirectory, name: String = "lab.qcow2", extra: [String: String] = [:]) async throws -> String {
        let disk = directory.appending(name)
        var files = DpkgStatusFixture.files
        files["/etc/motd"] = motd
        files.merge(extra) { $1 }
        try await GuestDiskFixture.makeDebianLikeDisk(at: disk, version: 13, extraFiles: files)
        return disk
    }

    @Test("SPDX 2.3 and CycloneDX 1.6 from a disk: every installed package, licenses, purls, files, base; schema-valid and deterministic", .bootsVM)
    func sbomFromDisk() async throws {
        let directory = try TemporaryDirectory()
        let disk = try await Self.makeDisk(in: directory)
        let artifact = SoftwareInventory.Artifact(
            name: "ttyd_1.7.7-8_amd64.deb", url: "https://deb.debian.org/debian/pool/main/t/ttyd/ttyd_1.7.7-8_amd64.deb",
            sha256: String(repeating: "ab", count: 32)
        )
        let inventory = try DiskInventoryReader().read(
            disk: disk, subject: .init(name: "debian-terminal", version: "1.0.0"), filePaths: ["/etc/motd", "/etc/not-there"],
            artifacts: [artifact], base: .init(name: "debian-trixie-bootstrap")
        )

        // The count dpkg itself reports for the database copied out of the disk by guestfish (not by our reader).
        let admin = try TemporaryDirectory()
        try await Command.check(["guestfish", "--ro", "-a", disk, "-i", "download", "/var/lib/dpkg/status", admin.appending("status")],
                          environment: ["LIBGUESTFS_BACKEND_SETTINGS": "force_tcg"])
        let dpkg = try await Command.check(["dpkg-query", "--admindir=\(admin.path)", "-W", "-f=${Status}|${Package}|${Version}\n"])
        let installed = dpkg.stdout.split(separator: "\n").filter { $0.hasPrefix("install ok installed|") }
        #expect(inventory.packages.count == installed.count)
        for line in installed {
            let fields = line.split(separator: "|").map(String.init)
            #expect(inventory.packages.contains { $0.name == fields[1] && $0.version == fields[2] }, "\(line)")
        }
        #expect(inventory.operatingSystem.purlDistro == "debian-13")
        #expect(inventory.packages.first { $0.name == "ttyd" }?.license == "MIT")
        #expect(inventory.packages.first { $0.name == "novnc" }?.license == "(MIT OR Zlib) AND MPL-2.0")
        #expect(inventory.packages.first { $0.name == "base-files" }?.license == nil)
        let motdHash = SHA256.hash(data: Data(Self.motd.utf8)).map { String(format: "%02x", $0) }.joined()
        #expect(inventory.files.map(\.path) == ["/etc/motd"])
        #expect(inventory.files.first?.sha256 == motdHash)

        let created: Int64 = 1_764_000_000
        let spdx = try SBOMFormat.spdx.render(inventory, created: created, tool: "labforge-test")
        try await SBOMSchema.expectValid(spdx, schema: "spdx-2.3.schema.json")
        #expect(try SBOMFormat.spdx.render(inventory, created: created, tool: "labforge-test") == spdx)
        let document = try JSONSerialization.jsonObject(with: spdx) as! [String: Any]
        let packages = document["packages"] as! [[String: Any]]
        let ttyd = try #require(packages.first { $0["name"] as? String == "ttyd" })
        let purl = ((ttyd["externalRefs"] as! [[String: Any]]).first!["referenceLocator"] as! String)
        #expect(purl == "pkg:deb/debian/ttyd@1.7.7-8%2Bb1?arch=amd64&distro=debian-13")
        #expect(ttyd["supplier"] as? String == "Person: Boyuan Yang (byang@debian.org)")
        #expect(ttyd["licenseDeclared"] as? String == "MIT")
        #expect((document["creationInfo"] as! [String: Any])["created"] as? String == "2025-11-24T16:00:00Z")
        let relationships = document["relationships"] as! [[String: String]]
        #expect(relationships.contains { $0["relationshipType"] == "DESCRIBES" && $0["relatedSpdxElement"] == "SPDXRef-Image" })
        #expect(relationships.filter { $0["relationshipType"] == "CONTAINS" }.count == inventory.packages.count + 1)
        #expect(relationships.contains { $0["relationshipType"] == "DESCENDANT_OF" })
        #expect(packages.contains { ($0["checksums"] as? [[String: String]])?.first?["checksumValue"] == artifact.sha256 })

        let cyclonedx = try SBOMFormat.cyclonedx.render(inventory, created: created, tool: "labforge-test")
        try await SBOMSchema.expectValid(cyclonedx, schema: "bom-1.6.schema.json")
        #expect(try SBOMFile.packages(in: cyclonedx, path: "cdx").count == installed.count)
    }

    @Test("`labforge sbom` writes the same bytes twice with SOURCE_DATE_EPOCH; `labforge diff` names the changes between two disks", .bootsVM)
    func commandLine() async throws {
        let directory = try TemporaryDirectory()
        let old = try await Self.makeDisk(in: directory, name: "old.qcow2")
        // The new image: ttyd upgraded, novnc removed, a package added.
        let newStatus = DpkgStatusFixture.status
            .replacingOccurrences(of: "Version: 1.7.7-8+b1", with: "Version: 1.7.7-9")
            .replacingOccurrences(of: "Package: novnc\nStatus: install ok installed", with: "Package: novnc\nStatus: deinstall ok config-files")
            + "\nPackage: htop\nStatus: install ok installed\nMaintainer: Daniel Lange <DLange@debian.org>\nArchitecture: amd64\nVersion: 3.4.1-4\nDescription: interactive processes viewer\n"
        let new = try await Self.makeDisk(in: directory, name: "new.qcow2", extra: ["/var/lib/dpkg/status": newStatus])
        let environment = ["SOURCE_DATE_EPOCH": "1764000000", "LIBGUESTFS_BACKEND_SETTINGS": "force_tcg"]

        let first = directory.appending("old.spdx.json")
        let run = try await Command.labforge(["sbom", old, "--output", first], environment: environment)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("5 packages"))
        let again = try await Command.labforge(["sbom", old], environment: environment)
        #expect(again.status == 0)
        #expect(again.stdoutData == (try Data(contentsOf: URL(fileURLWithPath: first))), "same disk, same SOURCE_DATE_EPOCH: same bytes")
        try await SBOMSchema.expectValid(again.stdoutData, schema: "spdx-2.3.schema.json")
        let cdx = try await Command.labforge(["sbom", old, "--format", "cyclonedx"], environment: environment)
        try await SBOMSchema.expectValid(cdx.stdoutData, schema: "bom-1.6.schema.json")

        // diff: an SBOM file against a disk.
        let diff = try await Command.labforge(["diff", first, new], environment: environment)
        #expect(diff.status == 0, "\(diff.stderr)")
        #expect(diff.stdout.contains("+ htop 3.4.1-4 (amd64)"))
        #expect(diff.stdout.contains("- novnc 1:1.6.0-1 (all)"))
        #expect(diff.stdout.contains("↑ ttyd 1.7.7-8+b1 → 1.7.7-9 (amd64)"))
        #expect(diff.stdout.contains("1 added, 1 removed, 1 upgraded, 0 downgraded"))

        let missing = try await Command.labforge(["sbom", directory.appending("nope.qcow2")])
        #expect(missing.status != 0 && missing.stderr.contains("nope.qcow2"))
    }

    @Test("a disk without a dpkg database is refused with the path it looked for", .bootsVM)
    func diskWithoutDatabase() async throws {
        let directory = try TemporaryDirectory()
        let disk = directory.appending("bare.qcow2")
        try await GuestDiskFixture.makeDebianLikeDisk(at: disk)
        #expect(throws: SBOMError.missingPackageDatabase(disk: disk, path: "/var/lib/dpkg/status")) {
            try DiskInventoryReader().read(disk: disk)
        }
    }
}
