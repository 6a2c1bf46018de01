// A recipe repository another user owns: git's ownership check stays on, so a planted .git runs nothing as us.
import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

@Suite("recipe repositories another user owns")
struct RecipeRepositoryOwnershipTests {
    /// Handing files to another uid needs root (the test machine's user; skipped elsewhere).
    static let isRoot = geteuid() == 0

    @Test(
        "a .git planted by another user with core.fsmonitor and a hook: labforge list refuses with git's reason and the fix; the program never runs",
        .enabled(if: isRoot, "chown to another uid needs root"))
    func plantedRepository() async throws {
        let folder = try RecipeFolder()
        try folder.write("Lab.swift", "import LabforgeRecipe\nlet lab = Recipe(name: \"planted-lab\") { Install(\"git\") }\n")
        let repository = folder.repository
        let marker = folder.directory.appending("fsmonitor-ran")
        let hookMarker = folder.directory.appending("hook-ran")
        try await Command.check(["git", "-C", repository, "init", "-q"])
        // The planted program: git starts core.fsmonitor on `status`; post-index-change runs when status rewrites the index.
        try ExecutableScript.write("#!/bin/sh\ntouch '\(marker)'\n", to: repository + "/.git/fsmonitor")
        try ExecutableScript.write("#!/bin/sh\ntouch '\(hookMarker)'\n", to: repository + "/.git/hooks/post-index-change")
        try await Command.check(["git", "-C", repository, "config", "core.fsmonitor", repository + "/.git/fsmonitor"])
        // The fixture is hostile for real: the owner's own `git status` runs the planted program.
        try await Command.check(["git", "-C", repository, "status", "--porcelain"])
        #expect(FileManager.default.fileExists(atPath: marker), "the fixture's core.fsmonitor did not run under plain git")
        try FileManager.default.removeItem(atPath: marker)
        try? FileManager.default.removeItem(atPath: hookMarker)

        try await Command.check(["chown", "-R", "12345:12345", repository])
        for source in [repository, folder.recipes] {
            let refused = try await folder.labforge(["list", source])
            #expect(refused.status != 0, "\(refused.stdout)")
            #expect(refused.stdout.isEmpty, "\(refused.stdout)")
            #expect(refused.stderr.contains("git refuses the repository \(repository) because another user owns it"), "\(refused.stderr)")
            #expect(refused.stderr.contains("detected dubious ownership in repository at '\(repository)'"), "\(refused.stderr)")
            #expect(refused.stderr.contains("git config --global --add safe.directory \(repository)"), "\(refused.stderr)")
            #expect(refused.stderr.contains("chown -R"), "\(refused.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: marker), "labforge ran the planted core.fsmonitor")
        #expect(!FileManager.default.fileExists(atPath: hookMarker), "labforge ran the planted hook")
        // Nothing of the refused repository was compiled.
        #expect(!FileManager.default.fileExists(atPath: folder.cache + "/recipes"))

        // Trusted the way the message says (safe.directory in the user's global git config, here a HOME of the test's
        // own): it loads with its origin, and the repository's own fsmonitor and hooks still run nothing.
        let home = folder.directory.appending("home")
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        try await Command.check(["git", "config", "--file", home + "/.gitconfig", "--add", "safe.directory", repository])
        let trusted = try await Command.labforge(["list", repository, "--json", "--cache-dir", folder.cache], environment: ["HOME": home])
        #expect(trusted.status == 0, "\(trusted.stderr)")
        #expect(trusted.stdout.contains("planted-lab"), "\(trusted.stdout)")
        #expect(trusted.stdout.contains("\"modified\" : true"), "untracked in git, so modified: \(trusted.stdout)")
        #expect(!FileManager.default.fileExists(atPath: marker), "labforge ran core.fsmonitor in a trusted repository")
        #expect(!FileManager.default.fileExists(atPath: hookMarker), "labforge ran a hook in a trusted repository")
        // Or trusted in the environment (a CI job's `GIT_CONFIG_*`), which labforge passes on to git.
        let trust = ["GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "safe.directory", "GIT_CONFIG_VALUE_0": repository]
        let fromEnvironment = try await Command.labforge(["list", repository, "--cache-dir", folder.cache], environment: trust)
        #expect(fromEnvironment.status == 0 && fromEnvironment.stdout.contains("planted-lab"), "\(fromEnvironment.stderr)")
        // Or run by root under sudo from the owner's account: git accepts SUDO_UID's repositories, and labforge passes it on.
        let sudo = try await Command.labforge(["list", repository, "--cache-dir", folder.cache], environment: ["SUDO_UID": "12345"])
        #expect(sudo.status == 0 && sudo.stdout.contains("planted-lab"), "\(sudo.stderr)")
        #expect(!FileManager.default.fileExists(atPath: marker), "labforge ran core.fsmonitor in a trusted repository")
    }
}
