// The architectures of a catalog entry: a multi-architecture image lists its index's platforms (schema, JSON, card,
// DataVolume YAML); a single-architecture entry is written as before; the page's architecture filter in Chromium.
import Catalog
import Foundation
import Kube
import LabforgeRecipe
import Testing
import TestSupport

@Suite("Catalog architectures")
struct CatalogArchitectureTests {
    /// debian-desktop as one index over amd64 and arm64, ubuntu-terminal amd64 alone, fedora-ctf arm64 alone.
    static func catalog() -> ImageCatalog {
        var multi = CatalogFixtures.images[0]
        multi.architectures = ["amd64", "arm64"]
        var arm = CatalogFixtures.images[2]
        arm.architecture = "arm64"
        arm.architectures = ["arm64"]
        var catalog = ImageCatalog()
        for image in [multi, CatalogFixtures.images[1], arm] { catalog.upsert(CatalogEntry(image: image)) }
        return catalog
    }

    @Test("a multi-architecture entry lists its architectures; single-architecture entries encode as before; the schema accepts both")
    func encoding() async throws {
        let catalog = Self.catalog()
        let entries = Dictionary(uniqueKeysWithValues: catalog.images.map { ($0.name, $0) })
        #expect(entries["debian-desktop"]?.architectures == ["amd64", "arm64"])
        #expect(entries["debian-desktop"]?.platforms == ["amd64", "arm64"])
        #expect(entries["ubuntu-terminal"]?.architectures == nil && entries["ubuntu-terminal"]?.platforms == ["amd64"])
        #expect(entries["fedora-ctf"]?.architectures == nil && entries["fedora-ctf"]?.platforms == ["arm64"])
        #expect(entries["debian-desktop"]?.imageDescription.architectures == ["amd64", "arm64"])

        let scratch = try TemporaryDirectory(prefix: "labforge-catalog-arch")
        let path = try await CatalogFixtures.saveChecked(catalog, in: scratch)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.components(separatedBy: "\"architectures\"").count - 1 == 1)
        #expect(text.contains("\"architectures\" : [\n        \"amd64\",\n        \"arm64\"\n      ]"), "\(text)")

        // An entry written before (no key) reads as its one architecture and is written back byte for byte.
        var single = ImageCatalog()
        single.upsert(CatalogEntry(image: CatalogFixtures.images[1]))
        let old = try single.encoded()
        #expect(!String(decoding: old, as: UTF8.self).contains("architectures"))
        let reread = try JSONDecoder().decode(ImageCatalog.self, from: old)
        #expect(reread.images[0].platforms == ["amd64"])
        #expect(try reread.encoded() == old)

        // The schema refuses a list of one, a repeated or an unknown architecture.
        for (from, to) in [
            ("\"amd64\",\n        \"arm64\"", "\"arm64\""), ("\"amd64\",\n        \"arm64\"", "\"arm64\",\n        \"arm64\""),
            ("\"amd64\",\n        \"arm64\"", "\"amd64\",\n        \"aarch64\""),
        ] {
            let broken = scratch.appending("broken.json")
            try text.replacingOccurrences(of: from, with: to).write(toFile: broken, atomically: true, encoding: .utf8)
            await #expect(try CatalogFixtures.validate(broken).0 == 1, "\(to)")
        }
    }

    @Test("the card shows each architecture, its DataVolume imports the entry's platform, the filter lists every architecture")
    func card() throws {
        let catalog = Self.catalog()
        let html = try CatalogPage.render(catalog)
        let cards = html.components(separatedBy: "<article").dropFirst()
        let multi = try #require(cards.first { $0.contains("debian-desktop") })
        #expect(multi.contains("data-arch=\"amd64 arm64\""))
        #expect(multi.contains("<span class=\"badge\">amd64</span> <span class=\"badge\">arm64</span>"))
        #expect(multi.contains("platform:\n") && multi.contains("architecture: amd64"))
        let single = try #require(cards.first { $0.contains("ubuntu-terminal") })
        #expect(single.contains("data-arch=\"amd64\"") && !single.contains("platform:"))
        #expect(html.contains(
            "<select id=\"arch\" aria-label=\"Architecture\"><option value=\"\">Any architecture</option><option value=\"amd64\">amd64</option><option value=\"arm64\">arm64</option></select>"))
    }

    @Test("each platform's firmware: the other platform's records carry its architecture, the card badges it, the DataVolume counts the entry's own")
    func platformFirmware() async throws {
        var image = CatalogFixtures.images[0]
        image.architectures = ["amd64", "arm64"]
        image.preference = "debian"
        image.firmware = FirmwareBasis(claimed: Firmware.standard, verified: Firmware.standard)
        let entry = CatalogEntry(image: image, platformFirmware: ["arm64": FirmwareBasis(claimed: [.uefi], verified: [.uefi])])
        #expect(entry.firmware == [
            .init(firmware: .uefiSecureBoot, verified: true), .init(firmware: .bios, verified: true), .init(firmware: .uefi, verified: true, architecture: "arm64"),
        ])
        #expect(entry.imageDescription.firmware == image.firmware)
        #expect(entry.preference == "debian")
        #expect(try entry.dataVolumeYAML().contains("default-preference: debian"))
        var catalog = ImageCatalog()
        catalog.upsert(entry)
        _ = try await CatalogFixtures.saveChecked(catalog, in: try TemporaryDirectory(prefix: "labforge-catalog-arch-firmware"))
        let html = try CatalogPage.render(catalog)
        #expect(html.contains(#"<span class="badge firmware firmware-verified" data-firmware="uefi">arm64: UEFI ✓</span>"#))
        #expect(html.contains(#"<span class="badge firmware firmware-verified" data-firmware="bios">BIOS ✓</span>"#))
        // A single-architecture entry ignores other platforms' firmware and writes no architecture in its records.
        let single = CatalogEntry(image: CatalogFixtures.images[1], platformFirmware: ["arm64": FirmwareBasis(claimed: [.uefi])])
        #expect(single.firmware == nil)
    }

    @Test("in Chromium, choosing arm64 shows the multi-architecture and the arm64 image, amd64 the other two")
    func filter() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium"), "install Debian's chromium (`make deps`)")
        let scratch = try TemporaryDirectory(prefix: "labforge-catalog-arch-page")
        let html = try CatalogPage.render(Self.catalog())
        let profile = try TemporaryDirectory(prefix: "labforge-chromium")
        for (architecture, shown) in [("arm64", ["debian-desktop", "fedora-ctf"]), ("amd64", ["debian-desktop", "ubuntu-terminal"]), ("", ["debian-desktop", "fedora-ctf", "ubuntu-terminal"])] {
            let choose = "<script>var a=document.getElementById('arch');a.value='\(architecture)';a.dispatchEvent(new Event('change'));</script>\n</body>"
            let page = scratch.appending("arch-\(architecture).html")
            try html.replacingOccurrences(of: "</body>", with: choose).write(toFile: page, atomically: true, encoding: .utf8)
            let dom = try await Command.run(
                ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=\(profile.path)", "--dump-dom", "file://\(page)"])
            #expect(dom.status == 0, "\(dom.stderr)")
            #expect(dom.stdout.contains("<span id=\"shown\">\(shown.count)</span>"), "\(architecture): \(dom.stdout.prefix(1200))")
            let visible = dom.stdout.components(separatedBy: "<article").dropFirst().filter { !$0.prefix { $0 != ">" }.contains(" hidden=\"\"") }
            let names = visible.compactMap { card in shown.first { card.contains("<span class=\"version\">\($0) ") } }
            #expect(names.sorted() == shown, "\(architecture)")
            #expect(visible.count == shown.count, "\(architecture)")
        }
    }
}
