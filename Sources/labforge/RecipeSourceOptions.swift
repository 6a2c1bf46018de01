// Where a command's recipes come from: a recipes folder, a file, a repository with labforge.swift, or the shipped ones.
import ArgumentParser
import Bases
import Catalog
import Foundation
import RecipeRepository

/// `--recipes PATH`, shared by every command that names recipes; `build`, `list` and `show` also take the path
/// as an argument (`labforge build ./recipes`).
struct RecipeSourceOptions: ParsableArguments {
    @Option(
        name: .customLong("recipes"),
        help: "Recipe files: a folder (every .swift file below it), one .swift file, or a repository root holding labforge.swift (default: ./labforge.swift, else ./recipes/, else the shipped recipes)."
    )
    var path: String?

    /// Splits command-line arguments into recipe source paths (existing folders, `.swift` files, anything with a `/`) and recipe names.
    static func split(_ arguments: [String]) -> (paths: [String], names: [String]) {
        (arguments.filter(RecipeSource.isPath), arguments.filter { !RecipeSource.isPath($0) })
    }

    /// Compiles (or reuses) and loads the recipes of the one source given.
    /// - Parameters:
    ///   - paths: Source paths given as arguments.
    ///   - cacheRoot: labforge's cache root; compiled programs go to its `recipes/` folder.
    /// - Returns: The validated recipes.
    func load(paths: [String] = [], cacheRoot: String = CacheDirectory.default.root) async throws -> LoadedRecipes {
        let given = paths + (path.map { [$0] } ?? [])
        guard given.count <= 1 else { throw ValidationError("one recipe source at a time (got \(given.joined(separator: ", ")))") }
        guard let chosen = given.first ?? RecipeSource.defaultPath() else {
            throw ValidationError("no recipes: no ./labforge.swift or ./recipes/ here and no shipped recipes beside labforge; give a folder (labforge init DIR makes one)")
        }
        let source = try RecipeSource(path: chosen)
        let started = Date()
        let loaded = try await RecipeLoader(compiler: RecipeCompiler(toolchain: try RecipeToolchain.locate(), cacheRoot: cacheRoot)).load(source)
        if loaded.compiled.compiled {
            let seconds = String(format: "%.1f", Date().timeIntervalSince(started))
            FileHandle.standardError.write(Data("compiled \(source.files.count) recipe file(s) in \(RecipeSourceLabel.of(source)) in \(seconds) s (cached until they change)\n".utf8))
        }
        return loaded
    }
}

/// How messages name a recipe source.
enum RecipeSourceLabel {
    static func of(_ source: RecipeSource) -> String {
        let directory = FileManager.default.currentDirectoryPath
        return source.root == directory ? "." : source.root.hasPrefix(directory + "/") ? String(source.root.dropFirst(directory.count + 1)) : source.root
    }
}

extension RecipeOrigin {
    /// The catalog's record of this origin.
    var catalogSource: CatalogEntry.RecipeSource {
        CatalogEntry.RecipeSource(path: path, line: line, repository: repository, commit: commit, modified: modified)
    }
}
