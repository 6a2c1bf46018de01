// `labforge sbom DISK`: the software bill of materials of any disk, read through a read-only appliance.
import ArgumentParser
import DiskImage
import Foundation
import LabforgeRecipe
import RecipeRepository
import SBOM

extension SBOMFormat: ExpressibleByArgument {}

struct SBOMCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sbom",
        abstract: "Write the SBOM (SPDX 2.3 or CycloneDX 1.6 JSON) of a disk from its package database.",
        discussion: """
            The disk is opened read-only in a libguestfs appliance; dpkg's database lists the installed packages, \
            machine-readable copyright files give licenses. With --recipe, the files the recipe placed, the downloads \
            it pinned and its base are recorded too. `created` is SOURCE_DATE_EPOCH when set.
            """
    )

    @Argument(help: "A qcow2 or raw disk holding a Debian or Ubuntu system.")
    var disk: String

    @Option(help: "Document format: spdx or cyclonedx.")
    var format: SBOMFormat = .spdx

    @Option(name: .shortAndLong, help: "Write the document here instead of standard output.")
    var output: String?

    @Option(help: "The recipe the disk was built from (adds its files, pinned downloads, base, name and version).")
    var recipe: String?

    @OptionGroup var source: RecipeSourceOptions

    func validate() throws {
        guard FileManager.default.fileExists(atPath: disk) else { throw ValidationError("no disk at \(disk)") }
    }

    func run() async throws {
        // The same content checks as `package` (name vs. header, sector multiple, not blank) before the appliance opens it.
        _ = try QemuImg.checkContents(disk)
        var recipe: Recipe?
        if let name = self.recipe { recipe = try await source.load().select([name]).first?.recipe }
        let inputs = recipe.map(RecipeSupplyInputs.init(recipe:))
        let inventory = try DiskInventoryReader().read(
            disk: disk, subject: recipe.map { SoftwareInventory.Subject(name: $0.name, version: $0.version) },
            filePaths: inputs?.filePaths ?? [], artifacts: inputs?.artifacts ?? [], base: inputs?.base
        )
        let document = try format.render(inventory, created: SBOMTime.creation(), tool: "labforge-\(LabforgeVersion.current)")
        if let output {
            try document.write(to: URL(fileURLWithPath: output), options: .atomic)
            FileHandle.standardError.write(Data("\(inventory.packages.count) packages → \(output)\n".utf8))
        } else {
            FileHandle.standardOutput.write(document)
        }
    }
}
