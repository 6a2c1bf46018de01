// The labforge command line: parse, call the library, print.
import ArgumentParser
import Logging

@main
struct Labforge: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "labforge",
        abstract: "Build lab VM images for KubeVirt: Swift recipes → qcow2 → containerDisk → registry, manifests, catalog.",
        version: LabforgeVersion.current,
        subcommands: [
            InitCommand.self, BuildCommand.self, ListCommand.self, ShowCommand.self, BasesCommand.self, BaseCommand.self, CustomizeCommand.self, VerifyCommand.self,
            PackageCommand.self, PushCommand.self, ManifestsCommand.self, ClassCommand.self, CatalogCommand.self, CacheCommand.self,
            AcceleratorCommand.self, SBOMCommand.self, DiffCommand.self,
        ]
    )

    /// Log lines (the accelerator choice, fallbacks, retries) go to standard error: standard output carries
    /// results, and with `--json` exactly one JSON document.
    static func main() async {
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        do {
            var command = try parseAsRoot()
            if var command = command as? AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}

/// The version stamped into images, caches and fingerprints.
enum LabforgeVersion {
    static let current = "0.1.0"
}
