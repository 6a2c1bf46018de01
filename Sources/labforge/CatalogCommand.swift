// `labforge catalog add|remove|render|merge`: images/catalog.json and the self-contained images/index.html.
import ArgumentParser
import Catalog
import Foundation
import Kube

struct CatalogCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "catalog",
        abstract: "Keep the portal catalog: images/catalog.json (with its JSON Schema) and images/index.html.",
        subcommands: [Add.self, Remove.self, Render.self, Merge.self]
    )

    /// Where the catalog and the page live.
    struct Files: ParsableArguments {
        @Option(help: "The catalog JSON.")
        var catalog: String = "images/catalog.json"

        @Option(help: "The HTML page (default: index.html beside the catalog).")
        var html: String?

        @Flag(help: "Do not write the HTML page.")
        var noHtml = false

        @Flag(help: "Print one JSON document with the result.")
        var json = false

        var htmlPath: String {
            html ?? URL(fileURLWithPath: catalog).deletingLastPathComponent().appendingPathComponent("index.html").path
        }

        /// Saves the catalog, renders the page, prints the result.
        func finish(_ catalog: ImageCatalog, action: String) throws {
            try catalog.save(to: self.catalog)
            if !noHtml {
                try CatalogPage.write(catalog, to: htmlPath)
            }
            if json {
                struct Result: Encodable {
                    var action: String
                    var catalog: String
                    var html: String?
                    var images: [String]
                }
                let result = Result(
                    action: action, catalog: self.catalog, html: noHtml ? nil : htmlPath,
                    images: catalog.images.map { "\($0.name) \($0.version)" }
                )
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                print(String(decoding: try encoder.encode(result), as: UTF8.self))
            } else {
                print("\(action); \(catalog.images.count) image(s) in \(self.catalog)" + (noHtml ? "" : ", page \(htmlPath)"))
            }
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add or replace one image's entry (same name and version); every other entry is kept."
        )

        @OptionGroup var image: ImageOptions
        @OptionGroup var files: Files

        @Option(help: "Build time, RFC 3339 (default: the layout's org.opencontainers.image.created).")
        var buildTime: String?

        @Option(help: "Recipe fingerprint.")
        var recipeFingerprint: String?

        @Option(help: "Base image identity, e.g. debian-13@sha256:….")
        var baseImage: String?

        @Option(help: "Verification result: passed, failed or not-run.")
        var verification: String = "not-run"

        @Option(help: "One line on the verification.")
        var verificationSummary: String?

        func run() async throws {
            do {
                guard let status = CatalogEntry.Verification.Status(rawValue: verification) else {
                    throw ValidationError("--verification \(verification): expected passed, failed or not-run")
                }
                let (description, facts) = try ImageDescription.resolve(try ImageSource(parsing: image.source), inputs: try image.inputs())
                let entry = CatalogEntry(
                    image: description,
                    build: .init(
                        time: buildTime ?? facts?.created, recipeFingerprint: recipeFingerprint, baseImage: baseImage,
                        labforgeVersion: LabforgeVersion.current
                    ),
                    verification: .init(status: status, summary: verificationSummary)
                )
                var catalog = try ImageCatalog.load(from: files.catalog)
                catalog.upsert(entry)
                try files.finish(catalog, action: "added \(entry.name) \(entry.version)")
            } catch let error as ValidationError {
                throw error
            } catch {
                ManifestsCommand.printError("labforge catalog add: \(error)")
                throw ExitCode.failure
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove an image (all versions, or one) from the catalog.")

        @Argument(help: "Image name.")
        var name: String

        @Option(name: .customLong("image-version"), help: "Remove only this version.")
        var imageVersion: String?

        @OptionGroup var files: Files

        func run() async throws {
            do {
                var catalog = try ImageCatalog.load(from: files.catalog)
                guard catalog.remove(name: name, version: imageVersion) > 0 else {
                    throw CatalogError.notFound(path: files.catalog, name: name, version: imageVersion)
                }
                try files.finish(catalog, action: "removed \(name)" + (imageVersion.map { " \($0)" } ?? ""))
            } catch {
                ManifestsCommand.printError("labforge catalog remove: \(error)")
                throw ExitCode.failure
            }
        }
    }

    struct Render: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Rewrite the HTML page (and normalize the JSON) from the catalog.")

        @OptionGroup var files: Files

        func run() async throws {
            do {
                try files.finish(try ImageCatalog.load(from: files.catalog), action: "rendered")
            } catch {
                ManifestsCommand.printError("labforge catalog render: \(error)")
                throw ExitCode.failure
            }
        }
    }

    struct Merge: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Merge catalogs written by separate build jobs into one (and re-render the page).",
            discussion: """
                Entries are keyed by name and version. The existing --catalog (unless --ignore-existing) comes first, \
                then each input in order; a later entry replaces an earlier one with the same name and version, \
                every other entry is kept. A missing, unreadable or invalid input fails the merge naming the file, \
                and nothing is written.
                """
        )

        @Argument(help: "Catalogs to merge (catalog.json files written by labforge), lowest precedence first.")
        var catalogs: [String]

        @Flag(help: "Do not start from the existing --catalog; the result holds only the inputs' entries.")
        var ignoreExisting = false

        @OptionGroup var files: Files

        func run() async throws {
            do {
                let base = ignoreExisting ? ImageCatalog() : try ImageCatalog.load(from: files.catalog)
                let merged = try ImageCatalog.merging(files: catalogs, into: base)
                try files.finish(merged, action: "merged \(catalogs.count) catalog(s)")
            } catch {
                ManifestsCommand.printError("labforge catalog merge: \(error)")
                throw ExitCode.failure
            }
        }
    }
}
