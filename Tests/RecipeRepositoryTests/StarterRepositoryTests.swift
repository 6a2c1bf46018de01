// `labforge init`, then the lab team's own edit, built by the built labforge without touching labforge's tree.
import Foundation
import RecipeRepository
import Testing
import TestSupport

@Suite("labforge init: a lab team's repository", .serialized)
struct StarterRepositoryTests {
    @Test("init writes the recipe, the file it uploads, README, .gitignore and the workflow; refuses a non-empty folder")
    func files() async throws {
        let directory = try TemporaryDirectory(prefix: "labforge-init")
        let repository = directory.appending("Physics 101")
        let made = try await Command.labforge(["init", repository, "--desktop"])
        #expect(made.status == 0, "\(made.stderr)")
        for file in ["recipes/physics-101.swift", "recipes/files/welcome.md", "README.md", ".gitignore", ".github/workflows/images.yml"] {
            #expect(FileManager.default.fileExists(atPath: repository + "/" + file), "\(file)")
        }
        let recipe = try String(contentsOfFile: repository + "/recipes/physics-101.swift", encoding: .utf8)
        #expect(recipe.contains("WebDesktop(") && recipe.contains("let physics101 = Recipe("))
        let readme = try String(contentsOfFile: repository + "/README.md", encoding: .utf8)
        #expect(readme.contains("labforge list") && readme.contains("labforge build"))
        let again = try await Command.labforge(["init", repository])
        #expect(again.status != 0 && again.stderr.contains("is not empty"), "\(again.stderr)")
        #expect(try await Command.labforge(["init", directory.appending("x"), "--name", "Not_A_Label"]).status != 0)
        #expect(StarterRepository.recipeName(forFolder: "Physics 101 (2026)") == "physics-101-2026")
        #expect(StarterRepository.recipeName(forFolder: "___") == "lab")
        // A name that spells a Swift keyword still compiles (the declaration is in backticks).
        let keyword = directory.appending("kw")
        #expect(try await Command.labforge(["init", keyword, "--name", "class"]).status == 0)
        let listed = try await Command.labforge(["list", keyword, "--cache-dir", directory.appending("cache")])
        #expect(listed.status == 0 && listed.stdout.hasPrefix("class "), "\(listed.stderr)")
    }

    @Test(
        "init, edit the recipe (a package and a file), then list, show and build --no-verify it with the built labforge",
        .timeLimit(.minutes(60)), .bootsVM)
    func initEditBuild() async throws {
        let directory = try TemporaryDirectory(prefix: "labforge-init")
        let cache = try await TestBase.buildCache(in: directory)
        let repository = directory.appending("chem-lab")
        #expect(try await Command.labforge(["init", repository]).status == 0)
        // The team's edit: one more package and one more uploaded file, next to the recipe.
        let recipePath = repository + "/recipes/chem-lab.swift"
        var recipe = try String(contentsOfFile: recipePath, encoding: .utf8)
        recipe = recipe.replacingOccurrences(of: "    WebTerminal(port: 7681", with: """
                Install("tree")
                Upload("files/periodic-table.txt", into: "/etc/chem")
                WebTerminal(port: 7681
            """)
        try recipe.write(toFile: recipePath, atomically: true, encoding: .utf8)
        try "H He Li Be B C N O F Ne\n".write(toFile: repository + "/recipes/files/periodic-table.txt", atomically: true, encoding: .utf8)
        // In git with a remote, as a team's checkout is: the catalog records both.
        for arguments in [["init", "-q", "-b", "main"], ["add", "."], ["-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-q", "-m", "lab"],
                          ["remote", "add", "origin", "https://example.org/chem/lab-recipes.git"]] {
            try await Command.check(["git", "-C", repository] + arguments)
        }
        let commit = try await Command.check(["git", "-C", repository, "rev-parse", "HEAD"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)

        let listed = try await Command.labforge(["list", repository, "--cache-dir", cache])
        #expect(listed.status == 0, "\(listed.stderr)")
        #expect(listed.stdout.contains("chem-lab") && listed.stdout.contains("terminal:7681"), "\(listed.stdout)")
        let shown = try await Command.labforge(["show", repository, "chem-lab", "--cache-dir", cache])
        #expect(shown.status == 0, "\(shown.stderr)")
        #expect(shown.stdout.contains("install tree"), "\(shown.stdout)")
        #expect(shown.stdout.contains("upload \(repository)/recipes/files/periodic-table.txt to /etc/chem"), "\(shown.stdout)")
        #expect(shown.stdout.contains("https://example.org/chem/lab-recipes.git"), "\(shown.stdout)")

        let output = directory.appending("images")
        // Packages go into the shared test base inside the appliance instead of a new bootstrap with them.
        let environment = ["LABFORGE_HOST_PACKAGES": "0", "LABFORGE_TEST_CACHE": TestBase.cacheDirectory]
        let built = try await Command.labforge(["build", repository, "--no-verify", "--output", output, "--cache-dir", cache, "--json"], environment: environment)
        #expect(built.status == 0, "\(built.stderr.suffix(4000))")
        let report = try #require(try JSONSerialization.jsonObject(with: built.stdoutData) as? [String: Any])
        #expect(report["failed"] as? Int == 0)
        let disk = output + "/chem-lab/1.0.0/disk.qcow2"
        // One read-only appliance: the uploaded file's contents, and the added package's binary.
        let inside = try await Command.check(
            ["guestfish", "--ro", "-a", disk, "-i", "cat", "/etc/chem/periodic-table.txt", ":", "exists", "/usr/bin/tree"],
            environment: ["LIBGUESTFS_BACKEND_SETTINGS": "force_tcg"])
        // guestfish's cat adds a newline after the file's own.
        #expect(inside.stdout.hasPrefix("H He Li Be B C N O F Ne\n"), "\(inside.stdout)")
        #expect(inside.stdout.split(separator: "\n").last == "true", "\(inside.stdout)")
        let catalog = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: output + "/catalog.json"))) as? [String: Any])
        let entry = try #require((catalog["images"] as? [[String: Any]])?.first)
        let source = try #require((entry["build"] as? [String: Any])?["recipeSource"] as? [String: Any])
        #expect(source["path"] as? String == "recipes/chem-lab.swift")
        #expect(source["repository"] as? String == "https://example.org/chem/lab-recipes.git")
        #expect(source["commit"] as? String == commit)
        #expect(source["modified"] as? Bool == false)
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let schema = try await Command.run([
            "python3", root.appendingPathComponent("Tests/KubeTests/Fixtures/validate.py").path,
            "--schema", root.appendingPathComponent("schemas/catalog.schema.json").path, output + "/catalog.json",
        ])
        #expect(schema.status == 0, "\(schema.stdout)\(schema.stderr)")
    }
}
