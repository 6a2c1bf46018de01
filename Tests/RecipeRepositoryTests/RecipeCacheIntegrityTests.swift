// The compiled-recipe cache runs nothing it did not compile: a changed program is refused, and so is a cache folder
// or entry someone else can write.
import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

@Suite("the compiled-recipe cache is checked before its program runs")
struct RecipeCacheIntegrityTests {
    static let isRoot = geteuid() == 0

    /// A folder with one recipe, compiled once (under umask 002, so the entry's modes are labforge's own choice).
    static func compiledFolder() async throws -> (folder: RecipeFolder, entry: String) {
        let folder = try RecipeFolder()
        try folder.write("Lab.swift", "import LabforgeRecipe\nlet lab = Recipe(name: \"cached-lab\") { Install(\"git\") }\n")
        let compiled = try await Command.run(["sh", "-c", "umask 002 && exec \"$0\" \"$@\"", Command.labforgeBinary, "list", folder.recipes, "--cache-dir", folder.cache])
        #expect(compiled.status == 0, "\(compiled.stderr)")
        let recipes = folder.cache + "/recipes"
        let key = try #require(try FileManager.default.contentsOfDirectory(atPath: recipes).first { $0.count == 64 })
        return (folder, recipes + "/" + key)
    }

    static func mode(_ path: String) -> mode_t {
        var info = stat()
        return lstat(path, &info) == 0 ? info.st_mode & 0o7777 : 0
    }

    @Test("an entry is owner-only whatever the umask, and a second load runs it from the cache")
    func entryModes() async throws {
        let (folder, entry) = try await Self.compiledFolder()
        #expect(Self.mode(entry) == 0o700)
        #expect(Self.mode(entry + "/program") == 0o700)
        for file in ["compiled.json", "declarations.json"] { #expect(Self.mode(entry + "/" + file) == 0o600, "\(file)") }
        let record = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: entry + "/compiled.json"))) as? [String: Any])
        #expect((record["program"] as? [String: Any])?["sha256"] as? String != nil)
        #expect((record["files"] as? [[String: Any]])?.first?["path"] as? String == "Lab.swift")
        let again = try await folder.labforge(["list", folder.recipes])
        #expect(again.status == 0 && again.stdout.contains("cached-lab") && !again.stderr.contains("compiled"), "\(again.stderr)")
    }

    @Test("a cached program replaced by a script is not run: the entry and both digests are named; removing it recompiles")
    func replacedProgram() async throws {
        let (folder, entry) = try await Self.compiledFolder()
        let marker = folder.directory.appending("tampered-program-ran")
        // Same name, same mode: only its bytes tell.
        let replacement = entry + "/program.new"
        try ExecutableScript.write("#!/bin/sh\ntouch '\(marker)'\n", to: replacement)
        #expect(chmod(replacement, 0o700) == 0)
        #expect(rename(replacement, entry + "/program") == 0)
        let refused = try await folder.labforge(["list", folder.recipes])
        #expect(refused.status != 0)
        #expect(refused.stdout.isEmpty, "\(refused.stdout)")
        #expect(refused.stderr.contains("recipe cache entry \(entry) changed after labforge compiled it: program has sha256"), "\(refused.stderr)")
        #expect(refused.stderr.contains("its program is not run") && refused.stderr.contains("rm -r \(entry)"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: marker), "labforge ran the replaced program")

        try FileManager.default.removeItem(atPath: entry)
        let recompiled = try await folder.labforge(["list", folder.recipes])
        #expect(recompiled.status == 0 && recompiled.stdout.contains("cached-lab"), "\(recompiled.stderr)")
        #expect(recompiled.stderr.contains("compiled 1 recipe file"), "\(recompiled.stderr)")
    }

    @Test("a cached program with one byte appended is refused")
    func appendedByte() async throws {
        let (folder, entry) = try await Self.compiledFolder()
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: entry + "/program"))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data([0]))
        try handle.close()
        let refused = try await folder.labforge(["list", folder.recipes])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("changed after labforge compiled it: program has sha256"), "\(refused.stderr)")
    }

    @Test("a recipes cache folder or entry writable by group or others is refused with the path and chmod go-w")
    func writableByOthers() async throws {
        let (folder, entry) = try await Self.compiledFolder()
        let recipes = folder.cache + "/recipes"
        for (path, mode) in [(recipes, mode_t(0o770)), (entry, mode_t(0o707)), (entry + "/program", mode_t(0o722))] {
            let original = Self.mode(path)
            #expect(chmod(path, mode) == 0)
            let refused = try await folder.labforge(["list", folder.recipes])
            #expect(refused.status != 0)
            #expect(refused.stderr.contains("recipe cache \(path) is writable by group or others (mode 0\(String(mode, radix: 8)))"), "\(refused.stderr)")
            #expect(refused.stderr.contains("chmod go-w \(path)"), "\(refused.stderr)")
            #expect(chmod(path, original) == 0)
        }
        // A cache root others can write (not sticky) could have its recipes/ folder swapped: refused too.
        #expect(chmod(folder.cache, 0o777) == 0)
        let root = try await folder.labforge(["list", folder.recipes])
        #expect(root.status != 0 && root.stderr.contains("recipe cache \(folder.cache) is writable by group or others (mode 0777) and not sticky"), "\(root.stderr)")
        #expect(chmod(folder.cache, 0o700) == 0)
        #expect(try await folder.labforge(["list", folder.recipes]).status == 0)
    }

    @Test("a cache entry owned by another user is refused", .enabled(if: isRoot, "chown to another uid needs root"))
    func ownedByOther() async throws {
        let (folder, entry) = try await Self.compiledFolder()
        #expect(chown(entry, 12345, 12345) == 0)
        let refused = try await folder.labforge(["list", folder.recipes])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("recipe cache \(entry) is owned by uid 12345, not by you (uid 0)"), "\(refused.stderr)")
        #expect(refused.stderr.contains("rm -r \(entry)"), "\(refused.stderr)")
        // Not even under sudo by that user (unlike git's rule: root's sandbox could not read their 0700 entry).
        let sudo = try await Command.labforge(["list", folder.recipes, "--cache-dir", folder.cache], environment: ["SUDO_UID": "12345"])
        #expect(sudo.status != 0 && sudo.stderr.contains("is owned by uid 12345"), "\(sudo.stderr)")
    }
}
