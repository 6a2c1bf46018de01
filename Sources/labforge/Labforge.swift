// The labforge command line: parse, call the library, print.
import ArgumentParser

@main
struct Labforge: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "labforge",
        abstract: "Build lab VM images for KubeVirt: Swift recipes → qcow2 → containerDisk → registry, manifests, catalog.",
        version: LabforgeVersion.current,
        subcommands: [
            BuildCommand.self, ListCommand.self, ShowCommand.self, BasesCommand.self, BaseCommand.self, CustomizeCommand.self, VerifyCommand.self,
            PackageCommand.self, PushCommand.self, ManifestsCommand.self, ClassCommand.self, CatalogCommand.self, CacheCommand.self,
        ]
    )
}

/// The version stamped into images, caches and fingerprints.
enum LabforgeVersion {
    static let current = "0.1.0"
}
