// The catalog JSON (against its committed schema), add/remove/render, and the HTML page in a real Chromium.
import Catalog
import Foundation
import Kube
import OCI
import Testing
import TestSupport

enum CatalogFixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let schema = root.appendingPathComponent("schemas/catalog.schema.json").path
    static let validator = root.appendingPathComponent("Tests/KubeTests/Fixtures/validate.py").path
    /// Kept after the run: the page and its screenshot.
    static let outputDirectory = root.appendingPathComponent(".build/test-output/catalog").path

    static func digest(_ byte: String) -> Digest { try! Digest(parsing: "sha256:" + String(repeating: byte, count: 32)) }

    static func image(_ name: String, version: String = "1.0", agents: [ExposedAgent], os: String, summary: String? = nil, byte: String = "cd")
        -> ImageDescription
    {
        ImageDescription(
            name: name, version: version, displayName: name.replacingOccurrences(of: "-", with: " ").capitalized, summary: summary,
            operatingSystem: OperatingSystemLabel(parsing: os), repository: "registry.example.org/labs/\(name)", tag: version,
            digest: digest(byte), diskVirtualSize: 6 << 30, compressedSize: 300 << 20, instancetype: "u1.medium", agents: agents
        )
    }

    static let images = [
        image("debian-desktop", agents: [ExposedAgent(kind: .terminal), ExposedAgent(kind: .desktop)], os: "debian-13", summary: "Xfce & a terminal <in the browser>"),
        image("ubuntu-terminal", version: "24.04", agents: [ExposedAgent(kind: .terminal)], os: "ubuntu-24.04", byte: "ef"),
        image("fedora-ctf", version: "41", agents: [ExposedAgent(kind: .terminal, port: 7000)], os: "fedora-41", summary: "Capture the flag", byte: "12"),
    ]

    static func validate(_ json: String) async throws -> (Int32, String) {
        let result = try await Command.run(["python3", validator, "--schema", schema, json])
        return (result.status, result.stdout + result.stderr)
    }

    /// Saves `catalog` as `catalog.json` in `scratch`, expects the schema to accept it and a load to give it back.
    /// - Returns: The file's path.
    static func saveChecked(_ catalog: ImageCatalog, in scratch: TemporaryDirectory) async throws -> String {
        let path = scratch.appending("catalog.json")
        try catalog.save(to: path)
        let (status, report) = try await validate(path)
        #expect(status == 0, "\(report)")
        #expect(try ImageCatalog.load(from: path) == catalog)
        return path
    }
}

@Suite("Catalog JSON")
struct CatalogJSONTests {
    @Test("add replaces the same name+version and keeps the others; remove drops one image")
    func upsertAndRemove() throws {
        var catalog = ImageCatalog()
        for image in CatalogFixtures.images { catalog.upsert(CatalogEntry(image: image)) }
        var rebuilt = CatalogFixtures.images[1]
        rebuilt.digest = CatalogFixtures.digest("99")
        catalog.upsert(CatalogEntry(image: rebuilt, verification: .init(status: .passed, summary: "ttyd answered")))
        #expect(catalog.images.map(\.name) == ["debian-desktop", "fedora-ctf", "ubuntu-terminal"])
        #expect(catalog.images[2].registry.digest == CatalogFixtures.digest("99"))
        #expect(catalog.images[2].verification.status == .passed)
        #expect(catalog.remove(name: "fedora-ctf") == 1)
        #expect(catalog.remove(name: "fedora-ctf") == 0)
        #expect(catalog.images.count == 2)
    }

    @Test("catalog.json validates against schemas/catalog.schema.json; a broken one does not")
    func schema() async throws {
        var catalog = ImageCatalog()
        for image in CatalogFixtures.images {
            catalog.upsert(CatalogEntry(
                image: image, build: .init(time: "2026-11-25T12:00:00Z", recipeFingerprint: "sha256:" + String(repeating: "0", count: 64), baseImage: "debian-13@sha256:" + String(repeating: "1", count: 64), labforgeVersion: "0.1.0",
                                   archiveDate: "2026-11-22T09:41:07Z",
                    recipeSource: .init(path: "recipes/\(image.name).swift", line: 3, repository: "https://example.org/labs.git", commit: String(repeating: "a", count: 40), modified: false))
            ))
        }
        let scratch = try TemporaryDirectory(prefix: "labforge-catalog")
        let path = scratch.appending("catalog.json")
        try catalog.save(to: path)
        let (status, report) = try await CatalogFixtures.validate(path)
        #expect(status == 0, "\(report)")
        let page = scratch.appending("index.html")
        try CatalogPage.write(catalog, to: page)
        #expect(try String(contentsOfFile: page, encoding: .utf8).contains("<dt>Debian archive</dt><dd>2026-11-22T09:41:07Z</dd>"))
        #expect(try ImageCatalog.load(from: path) == catalog)
        // Same catalog, same bytes.
        #expect(try catalog.encoded() == (try Data(contentsOf: URL(fileURLWithPath: path))))
        let broken = scratch.appending("broken.json")
        let text = try String(contentsOfFile: path, encoding: .utf8).replacingOccurrences(of: "\"kind\" : \"terminal\"", with: "\"kind\" : \"shell\"")
        try text.write(toFile: broken, atomically: true, encoding: .utf8)
        await #expect(try CatalogFixtures.validate(broken).0 == 1)
        // A recipe source's commit must be a full object id.
        let shortCommit = scratch.appending("short-commit.json")
        try String(contentsOfFile: path, encoding: .utf8).replacingOccurrences(of: String(repeating: "a", count: 40), with: "aaaa")
            .write(toFile: shortCommit, atomically: true, encoding: .utf8)
        await #expect(try CatalogFixtures.validate(shortCommit).0 == 1)
    }

    @Test("an entry with an SBOM and a signature validates against the schema; cards show the package count, a link and who signed")
    func sbomRecord() async throws {
        var catalog = ImageCatalog()
        let sbom = CatalogEntry.SBOM(packages: 412, digest: CatalogFixtures.digest("5b"), path: "debian-desktop/1.0/sbom.spdx.json")
        let signature = CatalogEntry.Signature(
            keyFingerprint: "sha256:" + String(repeating: "7e", count: 32), reference: "registry.example.org/labs/debian-desktop:sha256-cd.sig")
        catalog.upsert(CatalogEntry(image: CatalogFixtures.images[0], sbom: sbom, signature: signature))
        catalog.upsert(CatalogEntry(image: CatalogFixtures.images[1]))
        let scratch = try TemporaryDirectory(prefix: "labforge-catalog-sbom")
        let path = scratch.appending("catalog.json")
        try catalog.save(to: path)
        let (status, report) = try await CatalogFixtures.validate(path)
        #expect(status == 0, "\(report)")
        #expect(try ImageCatalog.load(from: path).images.first?.sbom == sbom)
        let page = scratch.appending("index.html")
        try CatalogPage.write(catalog, to: page)
        let html = try String(contentsOfFile: page, encoding: .utf8)
        #expect(html.contains("<dt>Packages</dt><dd>412 <a class=\"sbom\" href=\"debian-desktop/1.0/sbom.spdx.json\">SBOM</a>"))
        #expect(html.components(separatedBy: "<dt>Packages</dt>").count == 2, "only the entry with an SBOM shows a count")
        #expect(html.contains("<dt>Signature</dt><dd><span class=\"signed\">signed by key <code>\(signature.keyFingerprint)</code></span></dd>"))
        #expect(html.contains("<dt>Signature</dt><dd><span class=\"unsigned\">unsigned</span></dd>"))
        // A digest that is not one is refused by the schema.
        let broken = scratch.appending("broken.json")
        try String(contentsOfFile: path, encoding: .utf8).replacingOccurrences(of: sbom.digest.description, with: "sha256:nothex")
            .write(toFile: broken, atomically: true, encoding: .utf8)
        await #expect(try CatalogFixtures.validate(broken).0 == 1)
    }

    @Test("labforge catalog add | remove | render keep catalog.json and index.html in step")
    func command() async throws {
        let scratch = try TemporaryDirectory(prefix: "labforge-catalog-cli")
        let catalog = scratch.appending("images/catalog.json")
        for (reference, name) in [("registry.example.org/labs/alpine-tiny:3.20", "alpine-tiny"), ("registry.example.org/labs/debian-lab:1.0", "debian-lab")] {
            let result = try await Command.labforge([
                "catalog", "add", "\(reference)@\(CatalogFixtures.digest("ab"))", "--virtual-size", "\(2 << 30)", "--os", "debian-13",
                "--agent", "terminal", "--agent", "desktop", "--verification", "passed", "--catalog", catalog, "--json",
            ])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.contains(name))
        }
        let again = try await Command.labforge([
            "catalog", "add", "registry.example.org/labs/debian-lab:1.0@\(CatalogFixtures.digest("cd"))", "--virtual-size", "1",
            "--catalog", catalog,
        ])
        #expect(again.status == 0, "\(again.stderr)")
        var loaded = try ImageCatalog.load(from: catalog)
        #expect(loaded.images.count == 2)
        #expect(loaded.images[1].registry.digest == CatalogFixtures.digest("cd"))
        await #expect(try CatalogFixtures.validate(catalog).0 == 0)
        let html = scratch.appending("images/index.html")
        #expect(try String(contentsOfFile: html, encoding: .utf8).contains("debian-lab"))
        let removed = try await Command.labforge(["catalog", "remove", "alpine-tiny", "--catalog", catalog])
        #expect(removed.status == 0, "\(removed.stderr)")
        loaded = try ImageCatalog.load(from: catalog)
        #expect(loaded.images.map(\.name) == ["debian-lab"])
        #expect(try !String(contentsOfFile: html, encoding: .utf8).contains("alpine-tiny"))
        let missing = try await Command.labforge(["catalog", "remove", "alpine-tiny", "--catalog", catalog])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("no image 'alpine-tiny'"))
        try FileManager.default.removeItem(atPath: html)
        #expect(try await Command.labforge(["catalog", "render", "--catalog", catalog]).status == 0)
        #expect(FileManager.default.fileExists(atPath: html))
    }
}
