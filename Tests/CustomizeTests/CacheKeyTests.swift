// Cache keys name everything that went into a disk: the engine (derived from the sources at build time), every
// uploaded byte; nothing falls back to a weaker key, and an upload that cannot be read fails naming it.
import Crypto
@testable import Customize
import EngineIdentity
import Foundation
import LabforgeRecipe
import Testing
import TestSupport

@Suite("cache keys")
struct CacheKeyTests {
    /// The package root, from this file's path.
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// The same digest the build plugin computes: every source file's package-relative name, length and bytes, sorted.
    static func digest(of modules: [String]) throws -> String {
        var files: [String] = []
        for module in modules {
            let directory = "Sources/\(module)"
            guard let walker = FileManager.default.enumerator(atPath: packageRoot + "/" + directory) else { continue }
            while let relative = walker.nextObject() as? String {
                if relative.hasSuffix(".swift") { files.append(directory + "/" + relative) }
            }
        }
        var hasher = SHA256()
        for name in files.sorted() {
            let contents = try Data(contentsOf: URL(fileURLWithPath: packageRoot + "/" + name))
            hasher.update(data: Data("\(name)\u{0}\(contents.count)\u{0}".utf8))
            hasher.update(data: contents)
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    @Test("the engine identity is the digest of the customization and packaging sources as they are now")
    func engineIdentityIsDerivedFromTheSources() throws {
        #expect(EngineIdentity.customization == (try Self.digest(of: ["Customize", "Guestfs", "DiskImage", "LabforgeRecipe"])))
        #expect(EngineIdentity.packaging == (try Self.digest(of: ["OCI", "Archive"])))
        #expect(EngineIdentity.customization != EngineIdentity.packaging)
    }

    @Test("step keys change with the engine, the base and an uploaded file's bytes")
    func stepKeysNameTheEngine() throws {
        let directory = try TemporaryDirectory()
        let file = directory.appending("motd")
        try Data("hello\n".utf8).write(to: URL(fileURLWithPath: file))
        let recipe = Recipe(name: "keys") {
            Upload(file, into: "/etc")
            Run("true")
            WriteFile("/etc/x", contents: "x\n")
        }
        let keys = try StepCachePlan(plan: recipe.plan, baseIdentity: "base-1").keys
        #expect(!keys.isEmpty)
        #expect(keys == (try StepCachePlan(plan: recipe.plan, baseIdentity: "base-1").keys))
        #expect(keys == (try StepCachePlan(plan: recipe.plan, baseIdentity: "base-1", engine: EngineIdentity.customization).keys))
        #expect(Set(keys.values).isDisjoint(with: try StepCachePlan(plan: recipe.plan, baseIdentity: "base-1", engine: "another engine").keys.values))
        #expect(Set(keys.values).isDisjoint(with: try StepCachePlan(plan: recipe.plan, baseIdentity: "base-2").keys.values))
        try Data("hello, edited\n".utf8).write(to: URL(fileURLWithPath: file))
        #expect(Set(keys.values).isDisjoint(with: try StepCachePlan(plan: recipe.plan, baseIdentity: "base-1").keys.values))
    }

    @Test("an upload that is missing or cannot be read fails the key, naming the file")
    func unreadableUploadFails() throws {
        let directory = try TemporaryDirectory()
        let missing = directory.appending("gone.txt")
        let recipe = Recipe(name: "keys") {
            Upload(missing, into: "/etc")
            Run("true")
            WriteFile("/etc/x", contents: "x\n")
        }
        do {
            _ = try StepCachePlan(plan: recipe.plan, baseIdentity: "base")
            Issue.record("a missing upload gave a key")
        } catch let error as CustomizeError {
            #expect(error.description.contains(missing), "\(error)")
        }
        // A tree with an unreadable file (checked as a non-root user; root reads everything).
        guard getuid() != 0 else { return }
        let tree = directory.appending("tree")
        try FileManager.default.createDirectory(atPath: tree, withIntermediateDirectories: true)
        try Data("secret".utf8).write(to: URL(fileURLWithPath: tree + "/locked"))
        chmod(tree + "/locked", 0)
        defer { chmod(tree + "/locked", 0o600) }
        #expect { try UploadDigest.of(tree) } throws: { "\($0)".contains(tree + "/locked") }
    }
}
