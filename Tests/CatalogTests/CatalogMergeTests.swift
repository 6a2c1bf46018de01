// `labforge catalog merge`: catalogs from separate build jobs become one, checked against the catalog schema.
import Catalog
import Foundation
import Testing
import TestSupport

@Suite("Catalog merge")
struct CatalogMergeTests {
    /// Writes one build job's catalog (as `labforge build` leaves it in images/catalog.json) and returns its path.
    static func jobCatalog(_ directory: TemporaryDirectory, job: String, images: [(String, String, String)]) throws -> String {
        var catalog = ImageCatalog()
        for (name, version, byte) in images {
            let image = CatalogFixtures.images.first { $0.name == name } ?? CatalogFixtures.image(name, agents: [], os: "debian-13")
            var described = image
            described.version = version
            described.tag = version
            described.digest = CatalogFixtures.digest(byte)
            catalog.upsert(CatalogEntry(image: described, build: .init(time: "2026-11-25T12:00:00Z", labforgeVersion: "0.1.0")))
        }
        let path = directory.appending("\(job)/images/catalog.json")
        try catalog.save(to: path)
        return path
    }

    @Test("merging job catalogs: later files win per name+version, everything else kept, output valid, page rendered")
    func mergeFiles() async throws {
        let scratch = try TemporaryDirectory(prefix: "labforge-catalog-merge")
        let first = try Self.jobCatalog(scratch, job: "job-1", images: [("debian-desktop", "1.0", "01"), ("fedora-ctf", "41", "02")])
        let second = try Self.jobCatalog(scratch, job: "job-2", images: [("ubuntu-terminal", "24.04", "03"), ("debian-desktop", "1.0", "04")])
        let third = try Self.jobCatalog(scratch, job: "job-3", images: [("debian-desktop", "0.9", "05")])

        // The library call.
        let merged = try ImageCatalog.merging(files: [first, second, third])
        #expect(merged.images.map { "\($0.name) \($0.version)" } == ["debian-desktop 0.9", "debian-desktop 1.0", "fedora-ctf 41", "ubuntu-terminal 24.04"])
        #expect(merged.images[1].registry.digest == CatalogFixtures.digest("04"))

        // The command: output JSON valid against schemas/catalog.schema.json, index.html beside it.
        let output = scratch.appending("site/catalog.json")
        let result = try await Command.labforge(["catalog", "merge", first, second, third, "--catalog", output, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        #expect(report?["action"] as? String == "merged 3 catalog(s)")
        #expect((report?["images"] as? [String])?.count == 4)
        let (status, validation) = try await CatalogFixtures.validate(output)
        #expect(status == 0, "\(validation)")
        #expect(try ImageCatalog.load(from: output) == merged)
        let html = try String(contentsOfFile: scratch.appending("site/index.html"), encoding: .utf8)
        for name in ["debian-desktop", "fedora-ctf", "ubuntu-terminal"] { #expect(html.contains(name)) }

        // Merging again into the existing output keeps its entries; a newer job replaces only its own.
        let rebuilt = try Self.jobCatalog(scratch, job: "job-4", images: [("fedora-ctf", "41", "06")])
        let again = try await Command.labforge(["catalog", "merge", rebuilt, "--catalog", output])
        #expect(again.status == 0, "\(again.stderr)")
        let updated = try ImageCatalog.load(from: output)
        #expect(updated.images.count == 4)
        #expect(updated.images.first { $0.name == "fedora-ctf" }?.registry.digest == CatalogFixtures.digest("06"))
        #expect(updated.images.first { $0.name == "ubuntu-terminal" }?.registry.digest == CatalogFixtures.digest("03"))
        // --ignore-existing: only the inputs.
        let fresh = try await Command.labforge(["catalog", "merge", rebuilt, "--catalog", output, "--ignore-existing", "--no-html"])
        #expect(fresh.status == 0, "\(fresh.stderr)")
        #expect(try ImageCatalog.load(from: output).images.map(\.name) == ["fedora-ctf"])
        // Output files left by the atomic writes: nothing but the catalog and the page.
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.appending("site")).sorted() == ["catalog.json", "index.html"])
    }

    @Test("a missing, invalid or newer-format input fails naming the file and leaves the output untouched")
    func badInputs() async throws {
        let scratch = try TemporaryDirectory(prefix: "labforge-catalog-merge-bad")
        let good = try Self.jobCatalog(scratch, job: "job-1", images: [("debian-desktop", "1.0", "01")])
        let output = scratch.appending("site/catalog.json")
        #expect(try await Command.labforge(["catalog", "merge", good, "--catalog", output]).status == 0)
        let before = try Data(contentsOf: URL(fileURLWithPath: output))

        let missing = scratch.appending("job-2/images/catalog.json")
        let invalid = scratch.appending("invalid.json")
        // Valid JSON, but an entry's digest is not a digest: the schema would reject it too.
        let text = try String(contentsOfFile: good, encoding: .utf8).replacingOccurrences(of: "sha256:0101", with: "sha256:zz01")
        try text.write(toFile: invalid, atomically: true, encoding: .utf8)
        await #expect(try CatalogFixtures.validate(invalid).0 == 1)
        let truncated = scratch.appending("truncated.json")
        try Data(before.prefix(before.count / 2)).write(to: URL(fileURLWithPath: truncated))
        let newer = scratch.appending("newer.json")
        try #"{"schemaVersion": 2, "generator": "labforge", "images": []}"#.write(toFile: newer, atomically: true, encoding: .utf8)

        for (path, message) in [
            (missing, "no such catalog to merge"), (invalid, "not a labforge catalog"), (truncated, "not a labforge catalog"),
            (newer, "catalog schemaVersion 2 is newer"), (scratch.path, "not a labforge catalog (it is a directory"),
        ] {
            let result = try await Command.labforge(["catalog", "merge", good, path, "--catalog", output])
            #expect(result.status != 0)
            #expect(result.stderr.contains("\(path): \(message)"), "\(result.stderr)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: output)) == before)
            #expect(throws: CatalogError.self) { try ImageCatalog.merging(files: [good, path]) }
        }
        let none = try await Command.labforge(["catalog", "merge", "--catalog", output])
        #expect(none.status != 0)
    }
}
