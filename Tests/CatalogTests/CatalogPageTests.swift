// images/index.html in headless Chromium (Debian `chromium`): every image, the copy buttons, a screenshot.
import Catalog
import Foundation
import Kube
import Testing
import TestSupport

@Suite("Catalog page in Chromium")
struct CatalogPageTests {
    func chromium(_ arguments: [String], profile: TemporaryDirectory) async throws -> CommandResult {
        try await Command.run(
            ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=\(profile.path)", "--hide-scrollbars"] + arguments
        )
    }

    /// Replaces navigator.clipboard with a recorder.
    static let clipboardStub = """
        window.__copied=null;
        Object.defineProperty(navigator,'clipboard',{configurable:true,value:{writeText:function(t){window.__copied=t;return Promise.resolve();}}});
        """
    /// Removes navigator.clipboard and records what execCommand('copy') copies from the textarea.
    static let fallbackStub = """
        window.__copied=null;
        Object.defineProperty(navigator,'clipboard',{configurable:true,value:undefined});
        document.execCommand=function(command){var area=document.querySelector('textarea');window.__copied=area&&area.value;return command==='copy';};
        """
    /// Clicks the first copy button and writes the result into the DOM for --dump-dom.
    static let clickFirstCopyButton = """
        document.querySelector('.copy').click();
        setTimeout(function(){var pre=document.createElement('pre');pre.id='copied';pre.textContent=window.__copied;
        document.body.appendChild(pre);document.body.dataset.button=document.querySelector('.copy').textContent;},200);
        """

    @Test("the page lists every image with a copy button, filters by URL hash, and is screenshotted")
    func page() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium"), "install Debian's chromium (`make deps`)")
        var catalog = ImageCatalog()
        for image in CatalogFixtures.images { catalog.upsert(CatalogEntry(image: image)) }
        try FileManager.default.createDirectory(atPath: CatalogFixtures.outputDirectory, withIntermediateDirectories: true)
        let page = CatalogFixtures.outputDirectory + "/index.html"
        try CatalogPage.write(catalog, to: page)
        let html = try String(contentsOfFile: page, encoding: .utf8)
        // Self-contained: nothing is loaded from anywhere.
        #expect(!html.contains("src=\"http") && !html.contains("href=\"http") && !html.contains("<link"))
        #expect(html.contains("Xfce &amp; a terminal &lt;in the browser&gt;"))

        let profile = try TemporaryDirectory(prefix: "labforge-chromium")
        let dom = try await chromium(["--dump-dom", "file://\(page)"], profile: profile)
        #expect(dom.status == 0, "\(dom.stderr)")
        for entry in catalog.images {
            #expect(dom.stdout.contains(">\(entry.displayName) <span class=\"version\">\(entry.name) \(entry.version)</span>"))
            #expect(dom.stdout.contains("url: docker://\(entry.registry.pinned)"))
        }
        #expect(dom.stdout.components(separatedBy: "<button type=\"button\" class=\"copy\"").count - 1 == catalog.images.count)
        #expect(dom.stdout.contains("<span id=\"shown\">3</span>"))

        // The script ran: a search from the URL hides the other images.
        let filtered = try await chromium(["--dump-dom", "file://\(page)#q=ubuntu"], profile: profile)
        #expect(filtered.stdout.contains("<span id=\"shown\">1</span>"), "\(filtered.stdout.suffix(600))")
        let articles = filtered.stdout.components(separatedBy: "<article").dropFirst().map { $0.prefix { $0 != ">" } }
        #expect(articles.count == 3)
        #expect(articles.filter { $0.contains(" hidden=\"\"") }.count == 2)

        // Click the first copy button in the real page, once through navigator.clipboard and once through the
        // textarea fallback. The clipboard itself is stubbed (headless Chromium grants no clipboard permission,
        // a fault we cannot cause otherwise); the page's own script does the clicking path.
        for (name, stub) in [("clipboard", Self.clipboardStub), ("fallback", Self.fallbackStub)] {
            let probe = CatalogFixtures.outputDirectory + "/copy-\(name).html"
            try html.replacingOccurrences(of: "</body>", with: "<script>\(stub)\(Self.clickFirstCopyButton)</script>\n</body>")
                .write(toFile: probe, atomically: true, encoding: .utf8)
            let clicked = try await chromium(["--virtual-time-budget=3000", "--dump-dom", "file://\(probe)"], profile: profile)
            // Chromium serializes text with &, < and > escaped, quotes as they are.
            let expected = try catalog.images[0].dataVolumeYAML().replacingOccurrences(of: "&", with: "&amp;")
                .replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
            #expect(clicked.stdout.contains("<pre id=\"copied\">\(expected)</pre>"), "\(name): \(clicked.stdout.suffix(800))")
            #expect(clicked.stdout.contains("data-button=\"Copied\""), "\(name)")
        }

        let screenshot = CatalogFixtures.outputDirectory + "/index.png"
        try? FileManager.default.removeItem(atPath: screenshot)
        let shot = try await chromium(["--screenshot=\(screenshot)", "--window-size=1280,900", "file://\(page)"], profile: profile)
        #expect(shot.status == 0, "\(shot.stderr)")
        let png = try Data(contentsOf: URL(fileURLWithPath: screenshot))
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]))
        #expect(png.count > 10_000)
        print("catalog page: \(page)\ncatalog screenshot: \(screenshot)")
    }
}
