// From a recipes folder to checked recipes: compile (cached), run, decode, resolve uploads, validate, record origins.
import DiskImage
import Foundation
import Reporting
import LabforgeRecipe

/// A recipe and where it came from.
public struct LoadedRecipe: Sendable {
    /// The recipe, relative `Upload` sources resolved against its file's folder.
    public var recipe: Recipe
    /// Its file, line and repository.
    public var origin: RecipeOrigin
}

/// Every recipe of one source, validated.
public struct LoadedRecipes: Sendable {
    /// The files they came from.
    public var source: RecipeSource
    /// The recipes in file and line order.
    public var recipes: [LoadedRecipe]
    /// The compiled program (its key, whether this load compiled it).
    public var compiled: CompiledRecipes

    /// The recipe named `name`.
    /// - Parameter name: A recipe name.
    /// - Returns: The recipe, or `nil`.
    public func named(_ name: String) -> LoadedRecipe? { recipes.first { $0.recipe.name == name } }

    /// The recipes with these names, in the order given (all of them when `names` is empty).
    /// - Parameter names: Recipe names.
    /// - Returns: The recipes.
    /// - Throws: ``RecipeRepositoryError/unknownRecipe(name:known:source:)`` naming the first unknown one.
    public func select(_ names: [String]) throws -> [LoadedRecipe] {
        guard !names.isEmpty else { return recipes }
        return try names.map { name in
            guard let found = named(name) else {
                throw RecipeRepositoryError.unknownRecipe(name: name, known: recipes.map(\.recipe.name), source: RecipeCompiler.displayPath(source.root))
            }
            return found
        }
    }
}

/// Loads recipes from files: the one way every command gets its recipes.
public struct RecipeLoader: Sendable {
    /// The compiler (and its cache).
    public var compiler: RecipeCompiler

    /// Creates a loader.
    /// - Parameter compiler: Compiles the files, or finds them compiled.
    public init(compiler: RecipeCompiler) {
        self.compiler = compiler
    }

    /// Compiles (or reuses) and runs the program of `source` (confined: ``RecipeSandbox``), then checks every recipe.
    /// - Parameter source: The recipe files.
    /// - Returns: The validated recipes with their origins.
    /// - Throws: ``RecipeRepositoryError``: the compiler's diagnostics, or the file, line and recipe of an invalid one;
    ///   a git repository another user owns (``RecipeRepositoryError/repositoryNotTrusted(directory:repository:gitMessage:)``),
    ///   a cache others can write or a changed cache entry, no bubblewrap.
    public func load(_ source: RecipeSource) async throws -> LoadedRecipes {
        let root = source.root
        // git first: a repository another user owns is refused before anything of it is compiled or run.
        let git = try await DedicatedThread.run(name: "labforge.git") { try GitCheckout.read(directory: root) }
        let compiled = try await compiler.compile(source)
        let evaluated = try await evaluate(compiled, recipes: root)
        var loaded: [LoadedRecipe] = []
        for declaration in compiled.declarations {
            let name = declaration.path.joined(separator: ".")
            guard let values = evaluated[name] else {
                throw RecipeRepositoryError.unreadableOutput(reason: "no value for \(name)")
            }
            let file = source.root + "/" + declaration.file
            for value in values {
                let origin = RecipeOrigin(
                    file: file, line: declaration.line, declaration: name,
                    path: git.map { file.hasPrefix($0.root + "/") ? String(file.dropFirst($0.root.count + 1)) : declaration.file } ?? declaration.file,
                    repository: git?.remote, commit: git?.commit, modified: git.map { $0.modified.contains(file) }
                )
                let recipe = Self.resolvingUploads(value, against: URL(fileURLWithPath: file).deletingLastPathComponent().path)
                do { try recipe.validate() } catch let error as RecipeError {
                    throw RecipeRepositoryError.invalidRecipe(location: origin.location, recipe: recipe.name, error: error)
                }
                loaded.append(LoadedRecipe(recipe: recipe, origin: origin))
            }
        }
        let byName = Dictionary(grouping: loaded, by: \.recipe.name)
        if let duplicate = loaded.first(where: { byName[$0.recipe.name]!.count > 1 }) {
            throw RecipeRepositoryError.duplicateRecipe(name: duplicate.recipe.name, locations: byName[duplicate.recipe.name]!.map(\.origin.location))
        }
        return LoadedRecipes(source: source, recipes: loaded, compiled: compiled)
    }

    /// Checks the program is the one labforge compiled, runs it confined; its recipes by declaration.
    private func evaluate(_ compiled: CompiledRecipes, recipes: String) async throws -> [String: [Recipe]] {
        let sandbox = RecipeSandbox(toolchain: compiler.toolchain)
        let data = try await DedicatedThread.run(name: "labforge.recipes") {
            try compiled.checkUnchanged()
            return try sandbox.run(program: compiled.program, recipes: recipes)
        }
        do {
            let values = try JSONDecoder().decode([RecipeProgram.Evaluated].self, from: data)
            return Dictionary(values.map { ($0.declaration, $0.recipes) }, uniquingKeysWith: { first, _ in first })
        } catch {
            throw RecipeRepositoryError.unreadableOutput(reason: "\(error)")
        }
    }

    /// `Upload("files/motd", …)` in `recipes/lab.swift` means `recipes/files/motd`, wherever labforge runs.
    static func resolvingUploads(_ recipe: Recipe, against directory: String) -> Recipe {
        var resolved = recipe
        resolved.body = recipe.body.map { item in
            guard case .step(.upload(let source, let destination, let owner)) = item, !source.hasPrefix("/") else { return item }
            let absolute = URL(fileURLWithPath: directory).appendingPathComponent(source).standardizedFileURL.path
            return .step(.upload(source: absolute, destination: destination, owner: owner))
        }
        return resolved
    }
}
