// What a recipe says about an image's supply chain: the files it placed, the downloads it pinned, its base.
import LabforgeRecipe

/// The recipe facts an SBOM records beside the package database.
public struct RecipeSupplyInputs: Sendable, Equatable {
    /// Guest paths of uploaded files (a directory upload counts only when it is a single file) and of world-readable files the recipe wrote (never secrets: a file
    /// only root or one account may read is left out, so its hash cannot be guessed against).
    public var filePaths: [String]
    /// Pinned downloads (`.deb` files, static executables).
    public var artifacts: [SoftwareInventory.Artifact]
    /// The base image.
    public var base: SoftwareInventory.Base

    /// Collects the inputs of a recipe's planned steps.
    /// - Parameter recipe: The recipe.
    public init(recipe: Recipe) {
        var paths: Set<String> = []
        var artifacts: Set<SoftwareInventory.Artifact> = []
        for planned in recipe.plan {
            switch planned.step {
            case .upload(let source, let destination, _):
                // Uploads go *into* the destination directory; a tree's files are not listed one by one.
                let name = source.split(separator: "/").last.map(String.init) ?? source
                paths.insert(destination.hasSuffix("/") ? destination + name : destination + "/" + name)
            case .writeFile(let path, _, let mode, _) where mode & 0o004 != 0:
                paths.insert(path)
            case .install(let requests):
                for request in requests {
                    switch request.source {
                    case .repositories: break
                    case .repositoriesElse(let pinned), .artifact(let pinned):
                        artifacts.insert(SoftwareInventory.Artifact(name: pinned.fileName, url: pinned.url, sha256: pinned.sha256))
                    }
                }
            default:
                break
            }
        }
        filePaths = paths.sorted()
        self.artifacts = artifacts.sorted()
        switch recipe.base {
        case .upstream(let image):
            var sha256: String?
            if case .sha256(let value) = image.checksum { sha256 = value }
            base = SoftwareInventory.Base(name: image.name, sha256: sha256, url: image.url)
        case .localFile(let path, _):
            base = SoftwareInventory.Base(name: path)
        case .debianBootstrap(let bootstrap):
            base = SoftwareInventory.Base(name: "debian-\(bootstrap.suite)-bootstrap")
        }
    }
}
