// The supply-chain facts on a catalog card — package count, SBOM referrer, signature and attestations, package changes
// since the previous version, the desktop picture and the terminal's first screen — in the schema and in Chromium.
import Archive
import Catalog
import Foundation
import Kube
import Testing
import TestSupport

@Suite("Catalog supply chain")
struct CatalogSupplyChainTests {
    /// A 64×40 picture: a blue top bar over grey, like a desktop panel.
    static func desktopPNG() throws -> Data {
        var rgb: [UInt8] = []
        for row in 0..<40 { for _ in 0..<64 { rgb += row < 6 ? [0x24, 0x56, 0xC9] : [0xD0, 0xD0, 0xD0] } }
        return try PNGEncoder.encode(rgb: rgb, width: 64, height: 40)
    }

    static func catalog(in directory: TemporaryDirectory) throws -> ImageCatalog {
        try FileManager.default.createDirectory(atPath: directory.appending("debian-desktop/2.0"), withIntermediateDirectories: true)
        try desktopPNG().write(to: URL(fileURLWithPath: directory.appending("debian-desktop/2.0/desktop.png")))
        try "Debian GNU/Linux 13 lab ttyS0\n\nlab@lab:~$ echo <hello>\n".write(
            toFile: directory.appending("debian-desktop/2.0/terminal.txt"), atomically: true, encoding: .utf8)
        var old = CatalogFixtures.images[0]
        old.version = "1.0"
        old.tag = "1.0"
        var new = CatalogFixtures.images[0]
        new.version = "2.0"
        new.digest = CatalogFixtures.digest("ab")
        new.tag = "2.0"
        let key = "sha256:" + String(repeating: "7e", count: 32)
        var entry = CatalogEntry(
            image: new, build: .init(time: "2026-11-29T12:00:00Z"),
            sbom: .init(packages: 415, digest: CatalogFixtures.digest("5b"), path: "debian-desktop/2.0/sbom.spdx.json",
                        referrer: "registry.example.org/labs/debian-desktop@" + CatalogFixtures.digest("6c").description),
            signature: .init(
                keyFingerprint: key, reference: "registry.example.org/labs/debian-desktop:sha256-\(String(repeating: "ab", count: 32)).sig",
                attestations: "registry.example.org/labs/debian-desktop:sha256-\(String(repeating: "ab", count: 32)).att",
                predicateTypes: ["https://spdx.dev/Document", "https://slsa.dev/provenance/v1"]))
        entry.changes = PackageChanges(
            since: "1.0", added: [.init(name: "htop", version: "3.4.1-4")], removed: [.init(name: "nano", version: "8.4-1")],
            upgraded: [.init(name: "ttyd", from: "1.7.4-1", to: "1.7.7-8")])
        entry.pictures = .init(desktop: "debian-desktop/2.0/desktop.png", terminal: "debian-desktop/2.0/terminal.txt")
        var catalog = ImageCatalog()
        catalog.upsert(CatalogEntry(image: old, build: .init(time: "2026-11-01T12:00:00Z"),
                                    sbom: .init(packages: 413, digest: CatalogFixtures.digest("5a"), path: "debian-desktop/1.0/sbom.spdx.json")))
        catalog.upsert(entry)
        return catalog
    }

    @Test("the entry's changes, attestations and pictures validate against the schema and load back; the previous version is found")
    func json() async throws {
        let directory = try TemporaryDirectory(prefix: "labforge-catalog-supply")
        let catalog = try Self.catalog(in: directory)
        let path = directory.appending("catalog.json")
        try catalog.save(to: path)
        let (status, report) = try await CatalogFixtures.validate(path)
        #expect(status == 0, "\(report)")
        #expect(try ImageCatalog.load(from: path) == catalog)
        let new = try #require(catalog.images.first { $0.version == "2.0" })
        #expect(catalog.previousVersion(of: new)?.version == "1.0")
        #expect(catalog.previousVersion(of: catalog.images.first { $0.version == "1.0" }!) == nil)
        #expect(new.changes?.summary == "1 added, 1 removed, 1 upgraded")
        // A change without versions is refused.
        let broken = directory.appending("broken.json")
        try String(contentsOfFile: path, encoding: .utf8).replacingOccurrences(of: "\"from\" : \"1.7.4-1\"", with: "\"from\" : \"\"")
            .write(toFile: broken, atomically: true, encoding: .utf8)
        await #expect(try CatalogFixtures.validate(broken).0 == 1)
    }

    @Test("Chromium shows the package count, referrer, signer, attestations, changes, the decoded desktop PNG and the terminal screen")
    func page() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium"), "install Debian's chromium (`make deps`)")
        let directory = try TemporaryDirectory(prefix: "labforge-catalog-supply")
        let catalog = try Self.catalog(in: directory)
        let page = directory.appending("index.html")
        try CatalogPage.write(catalog, to: page)
        // The picture is embedded (the page stays one file); Chromium reports whether it decoded it.
        let probe = directory.appending("probe.html")
        let measure = """
            <script>window.addEventListener('load',function(){var img=document.querySelector('.desktop img');
            document.body.dataset.picture=img?(img.complete+' '+img.naturalWidth+'x'+img.naturalHeight):'none';
            var d=document.querySelector('details.changes');d.open=true;document.body.dataset.changes=d.innerText.replace(/\\n/g,' | ');});</script>
            """
        try String(contentsOfFile: page, encoding: .utf8).replacingOccurrences(of: "</body>", with: measure + "\n</body>")
            .write(toFile: probe, atomically: true, encoding: .utf8)
        let profile = try TemporaryDirectory(prefix: "labforge-chromium")
        let dom = try await Command.run(
            ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=\(profile.path)", "--virtual-time-budget=3000",
             "--dump-dom", "file://\(probe)"])
        #expect(dom.status == 0, "\(dom.stderr)")
        let html = dom.stdout
        #expect(html.contains("data-picture=\"true 64x40\""), "\(html.suffix(400))")
        #expect(html.contains("<dt>Packages</dt><dd>415 "))
        #expect(html.contains("<code class=\"sbom-referrer\">registry.example.org/labs/debian-desktop@\(CatalogFixtures.digest("6c"))</code>"))
        #expect(html.contains("signed by key <code>sha256:\(String(repeating: "7e", count: 32))</code></span>; attested: <code>spdx</code>, <code>slsa-provenance-v1</code>"))
        #expect(html.contains("<span class=\"unsigned\">unsigned</span>"), "the 1.0 entry is unsigned")
        #expect(html.contains("since 1.0: 1 added, 1 removed, 1 upgraded"))
        #expect(html.contains("+ htop 3.4.1-4 | − nano 8.4-1 | ↑ ttyd 1.7.4-1 → 1.7.7-8"), "\(html.suffix(600))")
        #expect(html.contains("lab@lab:~$ echo &lt;hello&gt;"))
        let shot = CatalogFixtures.outputDirectory + "/supply-chain.png"
        try FileManager.default.createDirectory(atPath: CatalogFixtures.outputDirectory, withIntermediateDirectories: true)
        let screenshot = try await Command.run(
            ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=\(profile.path)", "--hide-scrollbars",
             "--screenshot=\(shot)", "--window-size=1280,1400", "file://\(page)"])
        #expect(screenshot.status == 0, "\(screenshot.stderr)")
        print("catalog supply-chain screenshot: \(shot)")
    }
}
