// `labforge list [SOURCE]`: the recipes of a recipes folder (or the shipped ones), one line each, or as JSON.
import ArgumentParser
import Bases
import Foundation
import LabforgeRecipe
import RecipeRepository

/// A recipe as `list --json` prints it.
struct RecipeSummary: Codable {
    var name: String
    var version: String
    var displayName: String
    var description: String
    var tags: [String]
    var agents: [String]
    var ports: [Int]
    var minimumCPUs: Int
    var minimumMemoryMiB: Int
    var instancetype: String?
    var preference: String?
    /// The file, line and repository it came from.
    var origin: RecipeOrigin?

    init(_ recipe: Recipe, origin: RecipeOrigin? = nil) {
        self.origin = origin
        name = recipe.name
        version = recipe.version
        displayName = recipe.displayName
        description = recipe.description
        tags = recipe.tags
        agents = recipe.agents.map(\.kind)
        ports = recipe.ports.map(\.port)
        minimumCPUs = recipe.minimumCPUs
        minimumMemoryMiB = recipe.minimumMemoryMiB
        instancetype = recipe.instancetype
        preference = recipe.preference
    }
}

struct ListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the recipes (lab images) of a recipes folder.",
        discussion: """
            Recipes are the `Recipe` values the .swift files of SOURCE declare (no list to register them in); the files \
            are compiled against the installed LabforgeRecipe module, once per content. Without SOURCE: ./labforge.swift, \
            ./recipes/, else the recipes labforge ships.
            """
    )

    @Argument(help: "A recipes folder, .swift file, or repository root with labforge.swift.")
    var sourcePath: String?

    @OptionGroup var source: RecipeSourceOptions

    @Option(name: .customLong("cache-dir"), help: "Cache directory (default: $XDG_CACHE_HOME/labforge or ~/.cache/labforge).")
    var cacheDirectory: String?

    @Flag(help: "Print one JSON document (an array of recipes) instead of a table.")
    var json = false

    func run() async throws {
        let loaded = try await source.load(paths: sourcePath.map { [$0] } ?? [], cacheRoot: cacheDirectory.map(absolute) ?? CacheDirectory.default.root)
        if json {
            try printJSON(loaded.recipes.map { RecipeSummary($0.recipe, origin: $0.origin) })
            return
        }
        let width = loaded.recipes.map(\.recipe.name.count).max() ?? 4
        for entry in loaded.recipes {
            let recipe = entry.recipe
            let ports = recipe.ports.map { "\($0.name):\($0.port)" }.joined(separator: " ")
            print("\(recipe.name.padding(toLength: width, withPad: " ", startingAt: 0))  \(recipe.version)  \(recipe.displayName)  [\(ports)]  \(entry.origin.location)")
        }
    }
}
