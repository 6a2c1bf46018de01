// The firmware of a VM entry: per firmware whether verification proved it, in the schema, on the card and in the
// DataVolume the card copies; container entries carry none.
import Catalog
import Foundation
import Kube
import LabforgeRecipe
import Testing
import TestSupport

@Suite("Catalog firmware")
struct CatalogFirmwareTests {
    static func image(_ firmware: FirmwareBasis?) -> ImageDescription {
        var image = CatalogFixtures.images[0]
        image.preference = "debian"
        image.firmware = firmware
        return image
    }

    @Test("a VM entry records each claimed firmware as verified or not; the schema accepts it; the card shows a badge each")
    func vmEntry() async throws {
        let verified = CatalogEntry(
            image: Self.image(FirmwareBasis(claimed: Firmware.standard, verified: [.uefiSecureBoot], failed: [.bios])),
            verification: .init(status: .passed))
        #expect(verified.firmware == [.init(firmware: .uefiSecureBoot, verified: true), .init(firmware: .bios, verified: false)])
        #expect(verified.preference == "debian")
        var unverified = CatalogEntry(image: Self.image(FirmwareBasis(claimed: Firmware.standard)))
        unverified.name = "debian-unverified"
        #expect(unverified.firmware?.allSatisfy { !$0.verified } == true)
        var container = CatalogEntry(image: CatalogFixtures.images[1])
        container.kind = .container
        #expect(container.firmware == nil)

        var catalog = ImageCatalog()
        for entry in [verified, unverified, container] { catalog.upsert(entry) }
        let scratch = try TemporaryDirectory(prefix: "labforge-catalog-firmware")
        let path = scratch.appending("catalog.json")
        try catalog.save(to: path)
        let (status, report) = try await CatalogFixtures.validate(path)
        #expect(status == 0, "\(report)")
        #expect(try ImageCatalog.load(from: path) == catalog)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
        let entries = try #require(json["images"] as? [[String: Any]])
        #expect(entries.map { ($0["firmware"] as? [[String: Any]])?.count } == [2, 2, nil])
        let first = try #require((entries[0]["firmware"] as? [[String: Any]])?.first)
        #expect(first["firmware"] as? String == "uefi-secure-boot" && first["verified"] as? Bool == true)

        let page = scratch.appending("index.html")
        try CatalogPage.write(catalog, to: page)
        let html = try String(contentsOfFile: page, encoding: .utf8)
        #expect(html.contains(#"<span class="badge firmware firmware-verified" data-firmware="uefi-secure-boot">UEFI Secure Boot ✓</span>"#))
        #expect(html.contains(#"<span class="badge firmware firmware-unverified" data-firmware="bios">BIOS not verified</span>"#))
        #expect(html.components(separatedBy: "firmware-unverified\" data-firmware=").count - 1 == 3)  // BIOS failed + two unverified
        let containerCard = try #require(html.components(separatedBy: "<article").first { $0.contains("data-kind=\"container\"") })
        #expect(!containerCard.contains("data-firmware"))
    }

    @Test("an entry verified only under BIOS names no preference, and neither does the DataVolume it copies")
    func biosOnly() throws {
        let entry = CatalogEntry(image: Self.image(FirmwareBasis(claimed: Firmware.standard, verified: [.bios], failed: [.uefiSecureBoot])))
        #expect(entry.preference == nil)
        #expect(entry.imageDescription.firmware?.firmware == [.bios])
        let yaml = try entry.dataVolumeYAML()
        #expect(!yaml.contains("default-preference"))
        #expect(yaml.contains("default-instancetype: u1.medium"))
        // Not verified at all: the claim counts and the preference stays.
        let claimed = CatalogEntry(image: Self.image(FirmwareBasis(claimed: Firmware.standard)))
        #expect(try claimed.dataVolumeYAML().contains("instancetype.kubevirt.io/default-preference: debian"))
        #expect(claimed.imageDescription.firmware?.firmware == Firmware.standard)
    }

    @Test("the schema refuses firmware on a container entry, an unknown firmware and a record without its verdict")
    func schemaRefusals() async throws {
        var catalog = ImageCatalog()
        catalog.upsert(CatalogEntry(image: Self.image(FirmwareBasis(claimed: Firmware.standard, verified: Firmware.standard))))
        let scratch = try TemporaryDirectory(prefix: "labforge-catalog-firmware-schema")
        let path = scratch.appending("catalog.json")
        try catalog.save(to: path)
        await #expect(try CatalogFixtures.validate(path).0 == 0)
        let good = try String(contentsOfFile: path, encoding: .utf8)
        let cases = [
            ("container.json", good.replacingOccurrences(of: "\"kind\" : \"vm\"", with: "\"kind\" : \"container\"")),
            ("unknown.json", good.replacingOccurrences(of: "\"firmware\" : \"bios\"", with: "\"firmware\" : \"coreboot\"")),
            ("verdict.json", good.replacingOccurrences(of: "\"verified\" : true", with: "\"passed\" : true")),
        ]
        for (name, text) in cases {
            #expect(text != good, "\(name) changed nothing")
            let broken = scratch.appending(name)
            try text.write(toFile: broken, atomically: true, encoding: .utf8)
            await #expect(try CatalogFixtures.validate(broken).0 == 1, "\(name) was accepted")
        }
    }
}
