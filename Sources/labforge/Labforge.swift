// The labforge command line: parse, call the library, print.
import ArgumentParser
import Foundation
import ProcessRunner
import Reporting
import Signing
import SourceDate
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
        // First, before any thread reads the environment or any child exists: the key leaves the environment, so
        // nothing labforge starts (swiftc, the recipe program, mmdebstrap and its hooks, qemu, libguestfs) inherits it.
        SigningKey.takeFromEnvironment()
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        do {
            // Not Sendable, but only the interruptible task below touches it once parsing is done.
            nonisolated(unsafe) let parsed = try parseAsRoot()
            // SOURCE_DATE_EPOCH is read once and checked here, so a malformed value stops every command before it
            // writes anything, instead of being taken for "unset" by one stage and not by another (help still shows).
            if isLabforgeCommand(type(of: parsed)) { _ = try SourceDateEpoch.current() }
            // Every command runs as one task: SIGINT/SIGTERM cancel it, end every child and exit 130/143. The first
            // signal stops what may clean up (SIGTERM) and kills the throwaways (qemu guests, appliances, containers);
            // the grace period's end or a second signal kills the rest.
            try await Interruption.run(
                cancellable: parsed is AsyncParsableCommand, stopChildren: RunningChildren.stopAll, killChildren: RunningChildren.killAll
            ) {
                if var command = parsed as? AsyncParsableCommand {
                    try await command.run()
                } else {
                    var command = parsed
                    try command.run()
                }
            }
        } catch {
            exit(withError: error)
        }
    }
}

/// Whether `command` is one of labforge's subcommands, at any depth (the parser's own help command is not).
private func isLabforgeCommand(_ command: ParsableCommand.Type, under root: ParsableCommand.Type = Labforge.self) -> Bool {
    root.configuration.subcommands.contains { ObjectIdentifier($0) == ObjectIdentifier(command) || isLabforgeCommand(command, under: $0) }
}

/// The version stamped into images, caches and fingerprints.
enum LabforgeVersion {
    static let current = "0.1.0"
}
