// Package.swift declares exactly what each module imports: SwiftPM's own reading of the manifest (`swift package
// dump-package`) against the `import` lines of every target's sources. A dependency nobody imports, or an import that
// only builds because another target happens to pull the module in, fails here naming the target and the module.
import Foundation
import Testing

@Suite("Package.swift")
struct PackageManifestTests {
    /// Modules that come with the toolchain or the system, never declared.
    static let toolchainModules: Set<String> = [
        "Foundation", "FoundationEssentials", "Glibc", "Dispatch", "Synchronization", "Testing", "XCTest", "PackagePlugin",
        "Darwin", "os", "_Concurrency",
    ]

    /// One target as SwiftPM reads it.
    struct Target: Decodable {
        var name: String
        var type: String
        var path: String?
        var dependencies: [Dependency]

        /// A dependency: `byName`, `target` or `product`, each an array whose first element is the module name.
        struct Dependency: Decodable {
            var module: String?

            enum CodingKeys: String, CodingKey { case byName, target, product }

            init(from decoder: any Decoder) throws {
                let container = try decoder.container(keyedBy: CodingKeys.self)
                for key in [CodingKeys.byName, .target, .product] where container.contains(key) {
                    var values = try container.nestedUnkeyedContainer(forKey: key)
                    module = try values.decode(String.self)
                    return
                }
            }
        }
    }

    struct Manifest: Decodable { var targets: [Target] }

    @Test("every target declares exactly the modules its sources import")
    func declaredIsImported() async throws {
        let root = DocsExamplesTests.root
        // Its own scratch path: the running `swift test` holds the lock of .build.
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("labforge-manifest-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["swift", "package", "--package-path", root.path, "--scratch-path", scratch, "dump-package"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let manifest = try JSONDecoder().decode(Manifest.self, from: data)

        var problems: [String] = []
        for target in manifest.targets where ["regular", "executable", "test"].contains(target.type) {
            let path = target.path ?? (target.type == "test" ? "Tests/\(target.name)" : "Sources/\(target.name)")
            let imported = try Self.imports(below: root.appendingPathComponent(path))
            let declared = Set(target.dependencies.compactMap(\.module))
            let undeclared = imported.subtracting(declared).subtracting(Self.toolchainModules).subtracting([target.name])
            let unused = declared.subtracting(imported)
            if !undeclared.isEmpty { problems.append("\(target.name) imports \(undeclared.sorted()) without declaring them") }
            if !unused.isEmpty { problems.append("\(target.name) declares \(unused.sorted()) but imports none of them") }
        }
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
        #expect(manifest.targets.count > 30, "SwiftPM listed only \(manifest.targets.count) targets")
    }

    /// The modules imported by the Swift files below `directory` (fixtures, which are not compiled, left out).
    static func imports(below directory: URL) throws -> Set<String> {
        var modules: Set<String> = []
        let pattern = try Regex(#"^\s*(?:@testable\s+|@_spi\(\w+\)\s+|public\s+|internal\s+)?import\s+(?:struct\s+|enum\s+|class\s+|func\s+|protocol\s+)?(\w+)"#)
        guard let walker = FileManager.default.enumerator(atPath: directory.path) else { return [] }
        while let relative = walker.nextObject() as? String {
            guard relative.hasSuffix(".swift"), !relative.split(separator: "/").contains("Fixtures") else { continue }
            let text = try String(contentsOf: directory.appendingPathComponent(relative), encoding: .utf8)
            // Lines inside multi-line string literals (embedded Python: `import sys`) are not Swift.
            var inLiteral = false
            for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
                if !inLiteral, let match = line.firstMatch(of: pattern), let name = match.output[1].substring { modules.insert(String(name)) }
                if line.components(separatedBy: "\"\"\"").count % 2 == 0 { inLiteral.toggle() }
            }
        }
        return modules
    }
}
