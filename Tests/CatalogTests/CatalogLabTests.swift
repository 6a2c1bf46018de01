// Issue 28: a lab's tasks and lifetime on the catalog card and in catalog.json (against its schema); an entry
// without them is written as before.
import Catalog
import Foundation
import Kube
import LabforgeRecipe
import Testing
import TestSupport

@Suite("Catalog: a lab's tasks and lifetime")
struct CatalogLabTests {
    @Test("a recipe's LabTasks and LabLifetime become `lab`: the card lists the tasks in order (escaped) and when it stops; the schema accepts it; its manifests keep a power-off; no lab, no key")
    func labOnTheCard() async throws {
        let recipe = Recipe(name: "nginx-lab") {
            CreateUser("student")
            WebTerminal(user: "student")
            LabTasks(user: "student") {
                LabTask("Start <nginx>", check: "systemctl is-active --quiet nginx")
                LabTask("Serve hello", check: "curl -fs localhost | grep -qx hello")
            }
            LabLifetime(idleStop: .minutes(30), timeLimit: .hours(4))
        }
        let lab = try #require(CatalogEntry.Lab(recipe: recipe))
        #expect(lab == CatalogEntry.Lab(tasks: ["Start <nginx>", "Serve hello"], idleStopSeconds: 1800, timeLimitSeconds: 14400))
        #expect(CatalogEntry.Lab(recipe: Recipe(name: "plain") { CreateUser("student") }) == nil)

        var entry = CatalogEntry(image: CatalogFixtures.images[1])
        entry.lab = lab
        #expect(entry.imageDescription.stopsItself)
        try entry.imageDescription.validate()
        var catalog = ImageCatalog()
        catalog.upsert(entry)
        catalog.upsert(CatalogEntry(image: CatalogFixtures.images[0]))
        let scratch = try TemporaryDirectory(prefix: "labforge-catalog-lab")
        let path = try await CatalogFixtures.saveChecked(catalog, in: scratch)
        let json = try String(contentsOfFile: path, encoding: .utf8)
        #expect(json.components(separatedBy: "\"lab\" :").count == 2)  // the plain entry has no key

        let page = scratch.appending("index.html")
        try CatalogPage.write(catalog, to: page)
        let html = try String(contentsOfFile: page, encoding: .utf8)
        #expect(html.contains("<dt>Tasks</dt><dd><ol class=\"tasks\"><li>Start &lt;nginx&gt;</li><li>Serve hello</li></ol></dd>"))
        #expect(html.contains("<dt>Stops</dt><dd>after 30 min without a session; after 4 h in all</dd>"))

        let broken = scratch.appending("broken.json")
        try json.replacingOccurrences(of: "\"idleStopSeconds\" : 1800", with: "\"idleStopSeconds\" : 5").write(toFile: broken, atomically: true, encoding: .utf8)
        await #expect(try CatalogFixtures.validate(broken).0 == 1)
    }
}
