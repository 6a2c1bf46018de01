// Build-tool plugin: generates the engine identity (sha256 of labforge's own customization and packaging
// sources) for the `EngineIdentity` target, so that cache keys change whenever that code changes.
import Foundation
import PackagePlugin

/// Hands every source file of the modules behind each identity to a `sh` script (coreutils' `sha256sum`, no tool
/// target to build), which writes `EngineIdentity+Generated.swift`. SwiftPM reruns it when one of those files
/// changes: they are its declared inputs.
@main
struct EngineIdentityPlugin: BuildToolPlugin {
    /// Which modules each identity covers.
    static let groups: [(name: String, modules: [String])] = [
        // What ends up in a customized disk: the step engine, the libguestfs wrapper, qemu-img conversions,
        // and the meaning of the recipe DSL's steps.
        ("customization", ["Customize", "Guestfs", "DiskImage", "LabforgeRecipe"]),
        // What ends up in a containerDisk layout: the packer, the OCI types, the tar writer and compressors.
        ("packaging", ["OCI", "Archive"]),
    ]

    /// Per group: for each file in name order, `<name> NUL <size> NUL <bytes>`, all through one sha256sum.
    /// Arguments: output file, then `--group NAME` followed by `NAME=PATH` pairs.
    static let script = #"""
        set -eu
        out=$1; shift
        tmp="$out.tmp.$$"
        trap 'rm -f "$tmp" "$tmp.list"' EXIT
        printf '// Generated at build time by Plugins/EngineIdentityPlugin; do not edit.\nextension EngineIdentity {\n' > "$tmp"
        emit() {
          [ -n "$group" ] || return 0
          digest=$(LC_ALL=C sort -t '=' -k1,1 "$tmp.list" | while IFS='=' read -r name path; do
            printf '%s\000%s\000' "$name" "$(stat -c %s "$path")"; cat "$path"; done | sha256sum | cut -d' ' -f1)
          printf '    /// sha256 over the source files of the %s code.\n    public static let %s = "%s"\n' "$group" "$group" "$digest" >> "$tmp"
        }
        group=""; : > "$tmp.list"
        while [ $# -gt 0 ]; do
          if [ "$1" = --group ]; then emit; group=$2; : > "$tmp.list"; shift 2; else printf '%s\n' "$1" >> "$tmp.list"; shift; fi
        done
        emit
        printf '}\n' >> "$tmp"
        # Rewritten only when it changes, so an unchanged identity recompiles nothing.
        cmp -s "$tmp" "$out" || mv "$tmp" "$out"
        """#

    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let output = context.pluginWorkDirectoryURL.appendingPathComponent("EngineIdentity+Generated.swift")
        var arguments = ["-c", Self.script, "engine-identity", output.path]
        var inputs: [URL] = []
        let root = context.package.directoryURL.path + "/"
        for group in Self.groups {
            arguments += ["--group", group.name]
            for case let module as SourceModuleTarget in try context.package.targets(named: group.modules) {
                let files = module.sourceFiles.map(\.url)
                inputs += files
                // Names relative to the package, so the identity does not depend on where the checkout lives.
                arguments += files.map { "\($0.path.hasPrefix(root) ? String($0.path.dropFirst(root.count)) : $0.lastPathComponent)=\($0.path)" }
            }
        }
        return [
            .buildCommand(
                displayName: "Engine identity of labforge's customization and packaging sources",
                executable: URL(fileURLWithPath: "/bin/sh"), arguments: arguments, inputFiles: inputs, outputFiles: [output]
            )
        ]
    }
}
