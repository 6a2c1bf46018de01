// Recipes outside labforge's tree: found without a list, compiled once per content, errors at the recipe file's line.
import Foundation
import LabforgeRecipe
import Recipes
import RecipeRepository
import Testing
import TestSupport

/// Writes recipe files into a temporary folder.
struct RecipeFolder {
    let directory: TemporaryDirectory
    let cache: String

    init() throws {
        directory = try TemporaryDirectory(prefix: "labforge-recipes")
        cache = directory.appending("cache")
    }

    /// Writes `contents` to `recipes/<name>` and returns its path.
    @discardableResult
    func write(_ name: String, _ contents: String) throws -> String {
        let path = directory.appending("repo/recipes/" + name)
        try FileManager.default.createDirectory(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path, withIntermediateDirectories: true)
        try contents.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    var repository: String { directory.appending("repo") }
    var recipes: String { directory.appending("repo/recipes") }

    /// Runs labforge with this folder's cache.
    func labforge(_ arguments: [String]) async throws -> CommandResult {
        try await Command.labforge(arguments + ["--cache-dir", cache])
    }
}

@Suite("recipes folders: discovery, compile cache, errors")
struct RecipeFolderTests {
    @Test("every Recipe and [Recipe] value in every file is found (helpers and other values are not); order is file, then line")
    func discovery() async throws {
        let folder = try RecipeFolder()
        try folder.write("Shared.swift", """
            import LabforgeRecipe
            let admin = CreateUser("admin", uid: 1001)
            let notARecipe = 42
            """)
        try folder.write("B.swift", """
            import LabforgeRecipe

            let second = Recipe(name: "b-lab") { admin }
            enum Course {
                static let labs: [Recipe] = (1...2).map { n in Recipe(name: "week-\\(n)") { Install("tree") } }
            }
            """)
        try folder.write("nested/A.swift", """
            import LabforgeRecipe
            public let first = Recipe(name: "a-lab", version: "2.0.0") { Install("git") }
            """)
        let result = try await folder.labforge(["list", folder.recipes, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let listed = try #require(try JSONSerialization.jsonObject(with: result.stdoutData) as? [[String: Any]])
        #expect(listed.compactMap { $0["name"] as? String } == ["b-lab", "week-1", "week-2", "a-lab"])
        let origins = listed.compactMap { $0["origin"] as? [String: Any] }
        #expect(origins.compactMap { $0["path"] as? String } == ["B.swift", "B.swift", "B.swift", "nested/A.swift"])
        #expect(origins.compactMap { $0["line"] as? Int } == [3, 5, 5, 2])
        #expect(origins.compactMap { $0["declaration"] as? String } == ["second", "Course.labs", "Course.labs", "first"])
    }

    @Test("the shipped recipes load through the same mechanism and equal the Swift values (nothing lost in JSON)")
    func shippedRecipes() async throws {
        let shipped = try #require(RecipeSource.shippedRecipes(executable: Command.labforgeBinary))
        let folder = try RecipeFolder()
        let loader = RecipeLoader(compiler: RecipeCompiler(toolchain: try RecipeToolchain.locate(executable: Command.labforgeBinary), cacheRoot: folder.cache))
        let loaded = try await loader.load(try RecipeSource(path: shipped))
        #expect(loaded.recipes.map(\.recipe.name) == ["debian-desktop", "debian-terminal", "linux-basics", "python-lab"])
        for value in [Recipes.debianTerminal, Recipes.debianDesktop, Recipes.pythonLab, Recipes.linuxBasics] {
            #expect(loaded.named(value.name)?.recipe == value)
        }
        #expect(loaded.named("python-lab")?.origin.path.hasSuffix("PythonLab.swift") == true)
    }

    @Test("compiled once per content: a second load is a cache hit, an edit recompiles; cold and cached costs printed")
    func compileCache() async throws {
        let folder = try RecipeFolder()
        let file = try folder.write("Lab.swift", "import LabforgeRecipe\nlet lab = Recipe(name: \"cache-lab\") { Install(\"git\") }\n")
        let toolchain = try RecipeToolchain.locate(executable: Command.labforgeBinary)
        let loader = RecipeLoader(compiler: RecipeCompiler(toolchain: toolchain, cacheRoot: folder.cache))
        let source = try RecipeSource(path: folder.recipes)
        let clock = ContinuousClock()
        var first: LoadedRecipes?
        let cold = try await clock.measure { first = try await loader.load(source) }
        var second: LoadedRecipes?
        let cached = try await clock.measure { second = try await loader.load(source) }
        #expect(first?.compiled.compiled == true)
        #expect(second?.compiled.compiled == false)
        #expect(first?.compiled.key == second?.compiled.key)
        print("recipe compile: cold \(cold), cached \(cached) (1 file)")
        try "import LabforgeRecipe\nlet lab = Recipe(name: \"cache-lab\") { Install(\"git\", \"tree\") }\n".write(toFile: file, atomically: true, encoding: .utf8)
        let edited = try await loader.load(try RecipeSource(path: folder.recipes))
        #expect(edited.compiled.compiled == true)
        #expect(edited.compiled.key != first?.compiled.key)
        // The CLI says when it compiled, and is quiet on a hit.
        let listed = try await folder.labforge(["list", folder.recipes])
        #expect(listed.status == 0 && !listed.stderr.contains("compiled"), "\(listed.stderr)")
    }

    @Test("a type error fails with the compiler's diagnostic at the recipe file's line; nothing is listed")
    func compileError() async throws {
        let folder = try RecipeFolder()
        try folder.write("Broken.swift", """
            import LabforgeRecipe

            let broken = Recipe(
                name: "broken-lab",
                minimumCPUs: "two"
            ) {
                Install("git")
            }
            """)
        let result = try await folder.labforge(["list", folder.recipes])
        #expect(result.status != 0)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains("recipes do not compile"), "\(result.stderr)")
        #expect(result.stderr.contains("Broken.swift:5:"), "\(result.stderr)")
        #expect(result.stderr.contains("error:"), "\(result.stderr)")
        // Top-level statements are refused like in any library file.
        let statements = try RecipeFolder()
        try statements.write("Script.swift", "import LabforgeRecipe\nprint(\"hello\")\n")
        let refused = try await statements.labforge(["list", statements.recipes])
        #expect(refused.status != 0 && refused.stderr.contains("Script.swift:2:"), "\(refused.stderr)")
    }

    @Test("an invalid recipe names its file, line and recipe; build writes nothing", .bootsVM)
    func validationError() async throws {
        let folder = try RecipeFolder()
        try folder.write("Good.swift", "import LabforgeRecipe\nlet good = Recipe(name: \"good-lab\") { Install(\"git\") }\n")
        try folder.write("Bad.swift", """
            import LabforgeRecipe

            let bad = Recipe(name: "bad-lab") {
                WriteFile("etc/motd", contents: "hi")
            }
            """)
        let output = folder.directory.appending("images")
        let result = try await folder.labforge(["build", folder.recipes, "--no-verify", "--output", output])
        #expect(result.status != 0)
        #expect(result.stderr.contains("Bad.swift:3: recipe bad-lab is invalid"), "\(result.stderr)")
        #expect(result.stderr.contains("guest path \"etc/motd\" is relative"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: output))
    }

    @Test("duplicate names name both declarations; a private recipe is refused; an empty folder says what to do")
    func otherErrors() async throws {
        let folder = try RecipeFolder()
        try folder.write("One.swift", "import LabforgeRecipe\nlet one = Recipe(name: \"same-lab\") { Install(\"git\") }\n")
        try folder.write("Two.swift", "import LabforgeRecipe\n\nlet two = Recipe(name: \"same-lab\") { Install(\"git\") }\n")
        let duplicate = try await folder.labforge(["list", folder.recipes])
        #expect(duplicate.status != 0)
        #expect(duplicate.stderr.contains("two recipes are named same-lab") && duplicate.stderr.contains("One.swift:2") && duplicate.stderr.contains("Two.swift:3"), "\(duplicate.stderr)")

        let hidden = try RecipeFolder()
        try hidden.write("Hidden.swift", "import LabforgeRecipe\nprivate let secret = Recipe(name: \"secret-lab\") { Install(\"git\") }\n")
        let refused = try await hidden.labforge(["list", hidden.recipes])
        #expect(refused.status != 0 && refused.stderr.contains("Hidden.swift:2: recipe secret is private"), "\(refused.stderr)")

        let empty = try RecipeFolder()
        try FileManager.default.createDirectory(atPath: empty.recipes, withIntermediateDirectories: true)
        let nothing = try await empty.labforge(["list", empty.recipes])
        #expect(nothing.status != 0 && nothing.stderr.contains("holds no .swift recipe file"), "\(nothing.stderr)")
    }

    @Test("a repository root: labforge.swift alone, else its recipes/ folder; upload paths are relative to the recipe file")
    func repositoryRootAndUploads() async throws {
        let folder = try RecipeFolder()
        try folder.write("Lab.swift", """
            import LabforgeRecipe
            let lab = Recipe(name: "upload-lab") { Upload("files/motd", into: "/etc") }
            """)
        let fromRoot = try await folder.labforge(["show", folder.repository, "upload-lab", "--json"])
        #expect(fromRoot.status == 0, "\(fromRoot.stderr)")
        #expect(fromRoot.stdout.contains("upload \(folder.recipes)/files/motd to /etc"), "\(fromRoot.stdout)")
        // labforge.swift at the root wins over recipes/, like Package.swift.
        try "import LabforgeRecipe\nlet root = Recipe(name: \"root-lab\") { Upload(\"motd\", into: \"/etc\") }\n"
            .write(toFile: folder.repository + "/labforge.swift", atomically: true, encoding: .utf8)
        let rootFile = try await folder.labforge(["list", folder.repository, "--json"])
        #expect(rootFile.status == 0, "\(rootFile.stderr)")
        #expect(rootFile.stdout.contains("\"root-lab\"") && !rootFile.stdout.contains("upload-lab"))
        let shown = try await folder.labforge(["show", "--recipes", folder.repository + "/labforge.swift", "root-lab"])
        #expect(shown.stdout.contains("upload \(folder.repository)/motd to /etc"), "\(shown.stdout)")
    }

    @Test("an installed layout (PREFIX/bin, PREFIX/lib/labforge) finds its module and library")
    func installedLayout() async throws {
        let prefix = try TemporaryDirectory(prefix: "labforge-prefix")
        let built = URL(fileURLWithPath: Command.labforgeBinary).deletingLastPathComponent().path
        try FileManager.default.createDirectory(atPath: prefix.appending("bin"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: prefix.appending("lib/labforge"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Command.labforgeBinary, toPath: prefix.appending("bin/labforge"))
        for module in RecipeToolchain.modules {
            try FileManager.default.copyItem(atPath: "\(built)/Modules/\(module).swiftmodule", toPath: prefix.appending("lib/labforge/\(module).swiftmodule"))
        }
        try FileManager.default.copyItem(atPath: "\(built)/\(RecipeToolchain.libraryName)", toPath: prefix.appending("lib/labforge/\(RecipeToolchain.libraryName)"))
        let toolchain = try RecipeToolchain.locate(executable: prefix.appending("bin/labforge"))
        #expect(toolchain.moduleDirectory == prefix.appending("lib/labforge"))
        let folder = try RecipeFolder()
        try folder.write("Lab.swift", "import LabforgeRecipe\nlet lab = Recipe(name: \"installed-lab\") { Install(\"git\") }\n")
        let result = try await Command.run([prefix.appending("bin/labforge"), "list", folder.recipes, "--cache-dir", folder.cache])
        #expect(result.status == 0 && result.stdout.contains("installed-lab"), "\(result.stderr)")
    }
}
