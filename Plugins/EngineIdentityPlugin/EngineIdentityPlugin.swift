// Build-tool plugin: generates the engine identity (sha256 of labforge's own customization and packaging
// sources) for the `EngineIdentity` target, so that cache keys change whenever that code changes.
import Foundation
import PackagePlugin

/// Hands every source file of the modules behind each identity to `engine-identity-digest`, which writes
/// `EngineIdentity+Generated.swift`. SwiftPM reruns it when one of those files changes (they are its inputs).
@main
struct EngineIdentityPlugin: BuildToolPlugin {
    /// Which modules decide what each identity covers.
    static let groups: [(name: String, modules: [String])] = [
        // What ends up in a customized disk: the step engine, the libguestfs wrapper, qemu-img conversions,
        // and the meaning of the recipe DSL's steps.
        ("customization", ["Customize", "Guestfs", "DiskImage", "LabforgeRecipe"]),
        // What ends up in a containerDisk layout: the packer, the OCI types, the tar writer and compressors.
        ("packaging", ["OCI", "Archive"]),
    ]

    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let output = context.pluginWorkDirectoryURL.appendingPathComponent("EngineIdentity+Generated.swift")
        var arguments = [output.path]
        var inputs: [URL] = []
        for group in Self.groups {
            arguments += ["--group", group.name]
            for case let module as SourceModuleTarget in try context.package.targets(named: group.modules) {
                let files = module.sourceFiles.map(\.url).sorted { $0.path < $1.path }
                inputs += files
                // Names relative to the package, so the identity does not depend on where the checkout lives.
                let root = context.package.directoryURL.path + "/"
                arguments += files.map { "\($0.path.hasPrefix(root) ? String($0.path.dropFirst(root.count)) : $0.lastPathComponent)=\($0.path)" }
            }
        }
        return [
            .buildCommand(
                displayName: "Engine identity of labforge's customization and packaging sources",
                executable: try context.tool(named: "engine-identity-digest").url,
                arguments: arguments, inputFiles: inputs, outputFiles: [output]
            )
        ]
    }
}
