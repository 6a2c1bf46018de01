// `labforge cache prune`: free the disk space of finished images and step snapshots no build used lately.
import ArgumentParser
import Bases
import Foundation
import Pipeline
import Reporting

struct CacheCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cache",
        abstract: "Manage labforge's cache (finished disks, step snapshots, bases).",
        subcommands: [Prune.self]
    )

    struct Prune: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove finished disks and step snapshots unused for --older-than days (never one a running build holds)."
        )

        @OptionGroup var cacheOptions: CacheOptions

        @Option(help: "Remove entries not used for this many days (0: all).")
        var olderThan: Double = 14

        @Flag(help: "Also remove bases, downloads and pinned artifacts.")
        var bases = false

        func validate() throws {
            guard olderThan >= 0 else { throw ValidationError("--older-than must be ≥ 0") }
        }

        func run() throws {
            let root = cacheOptions.cache.root
            let result = try CachePruner(root: root).prune(olderThan: olderThan * 86_400, includeBases: bases)
            if cacheOptions.json {
                try printJSON(result)
            } else {
                for path in result.removed { print("removed \(path)") }
                for path in result.inUse { print("kept \(path) (in use)") }
                for path in result.backing { print("kept \(path) (a kept snapshot backs on it)") }
                print("freed \(ByteCount.format(result.freedBytes)) from \(root)")
            }
        }
    }
}
