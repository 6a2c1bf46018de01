// `labforge diff OLD NEW`: package changes between two disks or SBOM files.
import ArgumentParser
import Foundation
import SBOM

struct DiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Print the packages added, removed, upgraded and downgraded between two disks or SBOM files.",
        discussion: "Each side is a disk (read through a read-only appliance) or an SPDX/CycloneDX JSON file. Exits 0 either way."
    )

    @Argument(help: "The old image: a disk or an SBOM file.")
    var old: String

    @Argument(help: "The new image: a disk or an SBOM file.")
    var new: String

    @Flag(help: "Print one JSON document instead of text.")
    var json = false

    func validate() throws {
        for path in [old, new] where !FileManager.default.fileExists(atPath: path) {
            throw ValidationError("no disk or SBOM file at \(path)")
        }
    }

    func run() throws {
        let diff = PackageDiff(old: try packages(of: old), new: try packages(of: new))
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
            FileHandle.standardOutput.write(try encoder.encode(diff) + Data("\n".utf8))
        } else {
            print(diff.text, terminator: "")
        }
    }

    private func packages(of path: String) throws -> [InstalledPackage] {
        if SBOMFile.isJSON(path) {
            return try SBOMFile.packages(in: try Data(contentsOf: URL(fileURLWithPath: path)), path: path)
        }
        return try DiskInventoryReader().read(disk: path).packages
    }
}
