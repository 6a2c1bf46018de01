// Writes `EngineIdentity+Generated.swift`: one sha256 per group of source files (the build-tool plugin's tool).
// Usage: engine-identity-digest <output.swift> (--group <name> (<relative name>=<path>)...)...
import Crypto
import Foundation

var arguments = CommandLine.arguments.dropFirst()
guard let output = arguments.popFirst() else {
    FileHandle.standardError.write(Data("usage: engine-identity-digest <output.swift> (--group <name> <name>=<path>...)...\n".utf8))
    exit(2)
}
var groups: [(name: String, files: [(name: String, path: String)])] = []
while let argument = arguments.popFirst() {
    if argument == "--group", let name = arguments.popFirst() {
        groups.append((name, []))
    } else if let separator = argument.firstIndex(of: "="), !groups.isEmpty {
        groups[groups.count - 1].files.append((String(argument[..<separator]), String(argument[argument.index(after: separator)...])))
    } else {
        FileHandle.standardError.write(Data("engine-identity-digest: unexpected argument \(argument)\n".utf8))
        exit(2)
    }
}
var lines = [
    "// Generated at build time by the EngineIdentity plugin (Plugins/EngineIdentityPlugin); do not edit.",
    "extension EngineIdentity {",
]
for group in groups {
    var hasher = SHA256()
    for file in group.files.sorted(by: { $0.name < $1.name }) {
        guard let contents = FileManager.default.contents(atPath: file.path) else {
            FileHandle.standardError.write(Data("engine-identity-digest: cannot read \(file.path)\n".utf8))
            exit(1)
        }
        // Name, length, bytes: no two different file sets hash the same stream.
        hasher.update(data: Data("\(file.name)\u{0}\(contents.count)\u{0}".utf8))
        hasher.update(data: contents)
    }
    let hex = hasher.finalize().map { String(format: "%02x", $0) }.joined()
    lines.append("    /// sha256 over the \(group.files.count) source files of the \(group.name) code.")
    lines.append("    public static let \(group.name) = \"\(hex)\"")
}
lines.append("}")
let text = Data((lines.joined(separator: "\n") + "\n").utf8)
// Rewritten only when it changes, so an unchanged identity does not recompile its dependents.
if FileManager.default.contents(atPath: output) != text {
    do {
        try text.write(to: URL(fileURLWithPath: output), options: .atomic)
    } catch {
        FileHandle.standardError.write(Data("engine-identity-digest: cannot write \(output): \(error)\n".utf8))
        exit(1)
    }
}
