// `labforge bases [check]`: list the built-in upstream bases and compare their pins with upstream.
import ArgumentParser
import Bases
import Foundation
import LabforgeRecipe

/// `labforge bases`: the well-known upstream images and the default Debian bootstrap.
struct BasesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bases",
        abstract: "List the built-in base images (pinned upstream cloud images and the Debian bootstrap).",
        subcommands: [List.self, Check.self],
        defaultSubcommand: List.self
    )

    /// `labforge bases [list]`
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List built-in bases with their pinned checksums and whether they are cached."
        )

        @OptionGroup var options: CacheOptions

        func run() async throws {
            let store = BaseImageStore(cache: options.cache, toolVersion: LabforgeVersion.current)
            var rows: [BaseRow] = WellKnownBases.all.map { known in
                let path = store.cachedPath(for: .upstream(known.image))
                return BaseRow(
                    name: known.image.name, title: known.title, source: known.image.url, checksum: known.image.checksum.tagged,
                    cachedPath: path.flatMap { FileManager.default.fileExists(atPath: $0) ? $0 : nil }
                )
            }
            let debian = BaseImage.defaultDebian
            let debianPath = store.cachedPath(for: debian)
            rows.insert(BaseRow(
                name: "debian-bootstrap", title: "Debian 13 (trixie) bootstrapped from the Debian mirror (default)",
                source: "mmdebstrap trixie", checksum: nil,
                cachedPath: debianPath.flatMap { FileManager.default.fileExists(atPath: $0) ? $0 : nil }
            ), at: 0)
            if options.json { return try printJSON(rows) }
            let width = rows.map(\.name.count).max() ?? 10
            for row in rows {
                let cached = row.cachedPath == nil ? "" : "  [cached]"
                print("\(row.name.padding(toLength: width, withPad: " ", startingAt: 0))  \(row.title)\(cached)")
                print("\(String(repeating: " ", count: width))  \(row.source)")
                if let checksum = row.checksum { print("\(String(repeating: " ", count: width))  \(checksum.prefix(24))…") }
            }
        }
    }

    /// `labforge bases check`
    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Compare every pinned checksum with the publisher's checksum file (SHA256SUMS, SHA512SUMS, CHECKSUM).",
            discussion: "Exits non-zero when a pin differs, is no longer listed, or its checksum file cannot be fetched."
        )

        @Flag(help: "Print one JSON document on stdout as the result.")
        var json = false

        @Option(help: "Seconds to wait for each publisher.")
        var timeout = 30

        func run() async throws {
            let checker = PinCheck(timeout: .seconds(Int64(timeout)))
            let results = await checker.check(WellKnownBases.all)
            if json {
                try printJSON(results)
            } else {
                for result in results {
                    var line = "\(result.status.rawValue.padding(toLength: 11, withPad: " ", startingAt: 0)) \(result.name)"
                    if result.status == .differs { line += " (published \(result.published.joined(separator: ", ")))" }
                    if let reason = result.reason { line += " — \(reason)" }
                    print(line)
                }
            }
            if results.contains(where: { $0.status != .matches }) { throw ExitCode(1) }
        }
    }
}

/// One line of `labforge bases`.
struct BaseRow: Encodable {
    var name: String
    var title: String
    var source: String
    var checksum: String?
    var cachedPath: String?
}
