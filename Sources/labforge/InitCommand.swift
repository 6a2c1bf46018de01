// `labforge init DIR`: a new recipes repository with one recipe that builds, a README, a .gitignore and a CI workflow.
import ArgumentParser
import Foundation
import LabforgeRecipe
import RecipeRepository

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create a lab team's recipes repository: recipes/<name>.swift, a file it uploads, README.md, .gitignore, a GitHub Actions workflow.",
        discussion: """
            DIR must be new or empty. The recipe builds as written (`labforge build --no-verify` in DIR); every Recipe \
            value in recipes/*.swift is an image, with upload paths relative to its file. The workflow \
            (.github/workflows/images.yml) runs labforge's container image: one build job per recipe, push on main, \
            one merged catalog.
            """
    )

    @Argument(help: "The repository folder to create.")
    var directory: String

    @Flag(help: "The starter recipe's agents: a browser terminal (default), or a terminal and a browser desktop.")
    var kind: StarterRepository.Kind = .terminal

    @Option(help: "The recipe's name (default: from the folder's name).")
    var name: String?

    @Option(help: "The labforge container image the workflow runs (deploy/Containerfile).")
    var labforgeImage: String = "ghcr.io/example/labforge:\(LabforgeVersion.current)"

    func validate() throws {
        if let name, !Recipe.isDNSLabel(name) { throw ValidationError("--name \(name) is not a DNS-1123 label (lower-case letters, digits, '-')") }
    }

    func run() throws {
        let folder = URL(fileURLWithPath: directory).standardizedFileURL.lastPathComponent
        let starter = StarterRepository(name: name ?? StarterRepository.recipeName(forFolder: folder), kind: kind, labforgeImage: labforgeImage)
        try starter.write(to: directory)
        print("\(directory): recipe \(starter.name) in recipes/\(starter.name).swift")
        print("  cd \(directory) && labforge list && labforge build --no-verify")
    }
}

extension StarterRepository.Kind: EnumerableFlag {}
