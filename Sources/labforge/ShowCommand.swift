// `labforge show <recipe>`: the resolved plan: metadata, every step in order, agents, ports, probes.
import ArgumentParser
import Customize
import Foundation
import LabforgeRecipe
import Recipes

struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show a recipe's resolved plan: steps in order, agents, ports and probes.",
        discussion: "The recipe is validated first; an invalid recipe prints its error and exits non-zero."
    )

    @Argument(help: "Recipe name (see `labforge list`).")
    var recipe: String

    @Flag(help: "Print one JSON document instead of text.")
    var json = false

    func validate() throws {
        guard Recipes.named(recipe) != nil else {
            throw ValidationError("no recipe named \(recipe); known: \(Recipes.all.map(\.name).joined(separator: ", "))")
        }
    }

    func run() throws {
        let recipe = Recipes.named(self.recipe)!
        try recipe.validate()
        if json {
            struct Plan: Encodable {
                var recipe: RecipeSummary
                var fingerprint: String
                var steps: [[String: String]]
                var ports: [AgentPort]
                var probes: [Probe]
            }
            let plan = Plan(
                recipe: RecipeSummary(recipe), fingerprint: try recipe.fingerprint,
                steps: recipe.plan.map { ["number": String($0.number), "origin": $0.origin.description, "title": $0.step.title] },
                ports: recipe.ports, probes: recipe.probes
            )
            try printJSON(plan)
            return
        }
        print("\(recipe.name) \(recipe.version) — \(recipe.displayName)")
        if !recipe.description.isEmpty { print(recipe.description) }
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
