// Which base a build resolves: a bootstrap gains the recipe's first package batch (host installs); other bases do not.
import Bases
import Foundation
import LabforgeRecipe
@testable import Pipeline
import Recipes
import Logging
import Reporting
import Testing
import TestSupport

@Suite("build: packages at bootstrap")
struct HostPackagesTests {
    static func builder(_ recipe: Recipe, cache: String) -> ImageBuilder {
        let options = BuildOptions(output: cache + "/images", cacheRoot: cache, verify: false, toolVersion: "test")
        return ImageBuilder(
            recipe: recipe, options: options, store: BaseImageStore(cache: CacheDirectory(root: cache), toolVersion: "test"),
            cache: ImageCache(root: cache), reporter: SilentProgress(), logger: Logger(label: "test")
        )
    }

    @Test("a local or downloaded base keeps every install in the appliance")
    func nonBootstrapBase() throws {
        let work = try TemporaryDirectory()
        defer { work.remove() }
        var recipe = Recipes.debianDesktop
        recipe.base = .localFile(path: work.appending("base.qcow2"), format: .qcow2)
        let builder = Self.builder(recipe, cache: work.appending("cache"))
        #expect(builder.hostPackages == nil)
        #expect(builder.builtBase == recipe.base)
        recipe.base = .debian13GenericCloud
        #expect(Self.builder(recipe, cache: work.appending("cache")).hostPackages == nil)
    }

    @Test("a bootstrap base built as root gains the first batch's packages; the fingerprint names that base")
    func bootstrapBase() throws {
        guard getuid() == 0 else { return }  // not root: no bootstrap at all
        let work = try TemporaryDirectory()
        defer { work.remove() }
        let builder = Self.builder(Recipes.debianDesktop, cache: work.appending("cache"))
        let host = try #require(builder.hostPackages)
        #expect(host.packages.contains("tigervnc-standalone-server"))
        guard case .debianBootstrap(let spec) = builder.builtBase else { Issue.record("not a bootstrap"); return }
        #expect(Set(spec.extraPackages) == Set(host.packages))
        #expect(spec.pinnedPackages.map(\.name) == ["ttyd"])
        let store = BaseImageStore(cache: CacheDirectory(root: work.appending("cache")), toolVersion: "test")
        let plain = try ImageFingerprint(recipe: Recipes.debianDesktop, store: store, toolVersion: "test")
        let built = try ImageFingerprint(recipe: Recipes.debianDesktop, store: store, toolVersion: "test", base: builder.builtBase)
        #expect(plain.baseIdentity != built.baseIdentity)
    }
}
