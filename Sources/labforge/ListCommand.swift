// `labforge list`: the shipped recipes, one line each, or as JSON.
import ArgumentParser
import Foundation
import LabforgeRecipe
import Recipes

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

    init(_ recipe: Recipe) {
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

struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the shipped recipes (lab images).",
        discussion: "Recipes are Swift values in recipes/, registered in Recipes.all."
    )

    @Flag(help: "Print one JSON document (an array of recipes) instead of a table.")
    var json = false

    func run() throws {
        if json {
            try printJSON(Recipes.all.map(RecipeSummary.init))
            return
        }
        let width = Recipes.all.map(\.name.count).max() ?? 4
        for recipe in Recipes.all {
            let ports = recipe.ports.map { "\($0.name):\($0.port)" }.joined(separator: " ")
            print("\(recipe.name.padding(toLength: width, withPad: " ", startingAt: 0))  \(recipe.version)  \(recipe.displayName)  [\(ports)]")
        }
    }
}
