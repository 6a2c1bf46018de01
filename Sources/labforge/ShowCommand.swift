// `labforge show [SOURCE] <recipe>`: the resolved plan: metadata, every step in order, agents, ports, probes.
import ArgumentParser
import Bases
import Customize
import Foundation
import LabforgeRecipe
import RecipeRepository

struct ShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show a recipe's resolved plan: steps in order, agents, ports and probes.",
        discussion: "The recipes are compiled and validated first; an invalid recipe prints its file, line and error and exits non-zero."
    )

    @Argument(help: "A recipes folder or .swift file (optional), then the recipe name (see `labforge list`).")
    var arguments: [String]

    @OptionGroup var source: RecipeSourceOptions

    @Option(name: .customLong("cache-dir"), help: "Cache directory (default: $XDG_CACHE_HOME/labforge or ~/.cache/labforge).")
    var cacheDirectory: String?

    @Flag(help: "Print one JSON document instead of text.")
    var json = false

    func validate() throws {
        guard RecipeSourceOptions.split(arguments).names.count == 1 else { throw ValidationError("name one recipe (see `labforge list`)") }
    }

    func run() async throws {
        let split = RecipeSourceOptions.split(arguments)
        let loaded = try await source.load(paths: split.paths, cacheRoot: cacheDirectory.map(absolute) ?? CacheDirectory.default.root)
        guard let entry = try loaded.select(split.names).first else { return }
        let recipe = entry.recipe
        if json {
            struct Plan: Encodable {
                var recipe: RecipeSummary
                var fingerprint: String
                var steps: [[String: String]]
                var ports: [AgentPort]
                var probes: [Probe]
            }
            let plan = Plan(
                recipe: RecipeSummary(recipe, origin: entry.origin), fingerprint: try recipe.fingerprint,
                steps: recipe.plan.map { ["number": String($0.number), "origin": $0.origin.description, "title": $0.step.title] },
                ports: recipe.ports, probes: recipe.probes
            )
            try printJSON(plan)
            return
        }
        print("\(recipe.name) \(recipe.version) — \(recipe.displayName)")
        if !recipe.description.isEmpty { print(recipe.description) }
        let origin = entry.origin
        let commit = origin.commit.map { " @ \($0.prefix(12))\(origin.modified == true ? " (modified)" : "")" } ?? ""
        print("source: \(origin.location)\(origin.repository.map { " — \($0)" } ?? "")\(commit)")
        print("base: \(recipe.base)")
        print("minimum: \(recipe.minimumCPUs) vCPU, \(recipe.minimumMemoryMiB) MiB; instancetype \(recipe.instancetype ?? "-"), preference \(recipe.preference ?? "-")")
        print("fingerprint: \(try recipe.fingerprint)")
        print("\nsteps:")
        let plan = recipe.plan
        for step in plan {
            let number = "\(step.number)/\(plan.count)"
            let origin = step.origin.description.padding(toLength: 12, withPad: " ", startingAt: 0)
            print("  \(number.padding(toLength: 6, withPad: " ", startingAt: 0)) \(origin) \(step.step.title)")
        }
        print("\nagents:")
        for agent in recipe.agents {
            let ports = agent.ports.map { "\($0.name) \($0.port)/\($0.protocol.rawValue)\($0.path ?? "")" }
            print("  \(agent.kind)\(ports.isEmpty ? "" : ": " + ports.joined(separator: ", "))")
            for probe in agent.probes { print("    probe: \(probe)") }
        }
    }
}
