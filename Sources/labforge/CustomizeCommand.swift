// `labforge customize <recipe> --base <disk> --output <disk>`: run a recipe in one libguestfs appliance (another
// architecture's: in the base's root tree on the host, under qemu-user).
import ArgumentParser
import Bases
import Customize
import Foundation
import LabforgeRecipe
import RecipeRepository
import Reporting

struct CustomizeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "customize",
        abstract: "Customize a copy of a base disk with a recipe (packages, files, users, units, agents, sysprep).",
        discussion: """
            The base disk is never modified: labforge works on a qcow2 overlay and writes a standalone qcow2 \
            to a temporary name next to --output, renamed into place only when every step succeeded. \
            Every guest command and its output go to the build log (--log, default <output>.log). \
            For arm64 (--arch arm64, or a root tree archive as --base, which says its architecture) the steps run in \
            the base's root tree on this host under qemu-user, as `labforge build --arch arm64` runs them, and the \
            disk (UEFI) is written from the tree; the base is the archive `labforge base bootstrap --arch arm64` prints.
            """
    )

    @Argument(help: "Recipe name (see `labforge list`).")
    var recipe: String

    @Option(help: "The base disk (qcow2 or raw), e.g. a Debian 13 disk from `labforge base bootstrap`; for arm64 the root tree archive `labforge base bootstrap --arch arm64` prints.")
    var base: String

    @Option(help: "Where to write the customized qcow2.")
    var output: String

    @Option(name: .customLong("arch"), help: ArgumentHelp(
        "Architecture: amd64 (a disk as --base, customized in the appliance), or arm64 (a root tree archive as --base, customized on the host under qemu-user; default: the archive's).",
        valueName: "amd64|arm64"), transform: Architecture.parseOption)
    var architecture: Architecture?

    @Option(help: "Build log path (default: <output>.log).")
    var log: String?

    @Option(help: "Appliance memory in MiB.")
    var memory: Int32 = 2048

    @Option(help: "Appliance vCPUs.")
    var cpus: Int32 = 2

    @Flag(help: "Print the result as one JSON document on stdout (progress as JSON lines on stderr).")
    var json = false

    @OptionGroup var accelerator: AcceleratorOptions

    @OptionGroup var source: RecipeSourceOptions

    func run() async throws {
        accelerator.apply()
        guard let loaded = try await source.load().select([self.recipe]).first?.recipe else { return }
        let foreign = try await foreignBase(for: loaded)
        let recipe = try foreign.map { try loaded.building(for: $0.architecture) } ?? architecture.map { try loaded.building(for: $0) } ?? loaded
        if let foreign { try ForeignArchitecture.check(foreign.architecture) }
        let logPath = log ?? output + ".log"
        guard let sink = BuildLog(path: logPath) else { throw ValidationError("cannot write the build log \(logPath)") }
        defer { sink.close() }
        let reporter = StreamProgressReporter(style: .automatic(json: json))
        let customizer = Customizer(memoryMiB: memory, cpus: cpus, reporter: reporter, log: { sink.write($0) })
        do {
            let result = if foreign != nil {
                try await customizeTree(recipe, customizer: customizer, log: { sink.write($0) })
            } else {
                try await customizer.customize(recipe: recipe, base: base, output: output)
            }
            if json {
                try printJSON(result)
            } else {
                print("\(result.output): \(recipe.name) \(recipe.version), \(result.steps.count) steps in \(String(format: "%.1f", result.totalSeconds)) s (\(result.accelerator)), \(ByteCount.format(result.outputBytes)) allocated; log \(logPath)")
            }
        } catch let error as CustomizeError {
            FileHandle.standardError.write(Data("error: \(error)\nbuild log: \(logPath)\n".utf8))
            throw ExitCode(1)
        }
    }
}
