// A catalog file is input like the command line: an entry whose name or version could break the page or a path
// is refused when the file is read, naming the file and the entry.
import Catalog
import Foundation
import Kube
import Testing
import TestSupport

@Suite("catalog input hardening")
struct CatalogLoadHardeningTests {
    @Test("an entry with a version holding a newline or '../' makes the file unreadable, named in the error")
    func badEntries() throws {
        let work = try TemporaryDirectory()
        var catalog = ImageCatalog()
        catalog.upsert(CatalogEntry(image: CatalogFixtures.images[0], build: .init(), verification: .init(status: .notRun, summary: nil)))
        let path = work.appending("catalog.json")
        try catalog.save(to: path)
        #expect(try ImageCatalog.load(from: path).images.count == 1)

        for (field, bad) in [("version", "1.0\\nkind: Secret"), ("version", "../../x"), ("name", "../debian")] {
            let text = try String(contentsOfFile: path, encoding: .utf8)
            let original = field == "version" ? #""version" : "1.0""# : #""name" : "debian-desktop""#
            #expect(text.contains(original), "the fixture's JSON layout changed: \(text)")
            let tampered = work.appending("tampered.json")
            try text.replacingOccurrences(of: original, with: "\"\(field)\" : \"\(bad)\"").write(toFile: tampered, atomically: true, encoding: .utf8)
            let error = try #require(throws: CatalogError.self) { try ImageCatalog.load(from: tampered) }
            #expect(error.description.contains(tampered) && error.description.contains("images[0]"), "\(error)")
            #expect(!error.description.contains("\n"))
        }
    }
}
