// What the build log shows of steps that carry secrets: no password hash, no credential file contents (no VM).
@testable import Customize
import DiskImage
import Foundation
import LabforgeRecipe
import Testing
import TestSupport

@Suite("build log redaction")
struct LogRedactionTests {
    static let hash = "$6$Kx9vQm2pRt$4Tz0YbQ8c1wV3nH7eL5sJ2aF9dG6kP0qR8uI3oM1xC7vB4nZ6yT2wE5rU9iO0pA3sD8fG1hJ4kL7zX0cV2bN5m."

    @Test("the create-user command is logged and reported with the password hash redacted")
    func createUser() throws {
        let recipe = Recipe(name: "users") { CreateUser("student", comment: "Student", groups: ["sudo"], passwordHash: Self.hash) }
        let accounts = recipe.plan.compactMap { if case .createUser(let account) = $0.step { return account } else { return nil } }
        let account = try #require(accounts.first)
        let script = GuestBuild.createUserScript(account)
        #expect(script.contains(Self.hash), "the guest still gets the hash")
        let shown = GuestShell.shownCommand(script)
        #expect(!shown.contains("Kx9vQm2pRt") && !shown.contains("4Tz0YbQ8"), "\(shown)")
        #expect(shown.contains("usermod --password <redacted> student"), "\(shown)")
        #expect(shown.contains("useradd"), "the rest of the command stays readable")
        // A failing command's error carries the same shown text.
        let failure = CustomizeError.commandFailed(command: shown, status: 1, outputTail: "")
        #expect(!failure.description.contains("Kx9vQm2pRt"))
    }

    @Test("steps writing credentials under /etc/labforge/credentials/ log the path, never the contents")
    func credentialFile() {
        let secret = "lab-terminal:Tr0ub4dor-\(UUID().uuidString.prefix(8))"
        let recipe = Recipe(name: "creds") {
            CreateUser("student", passwordHash: Self.hash)
            WriteFile("/etc/labforge/credentials/terminal-credential", contents: secret + "\n", mode: 0o600)
            Run("echo 'student:\(secret)' | chpasswd")
        }
        // The lines Customizer writes per step: `==> [n/N] title (origin)`.
        let lines = recipe.plan.map { "==> [\($0.number)/\(recipe.plan.count)] \($0.step.title) (\($0.origin))" }
        let log = lines.joined(separator: "\n")
        #expect(log.contains("/etc/labforge/credentials/terminal-credential"), "\(log)")
        #expect(!log.contains(secret) && !log.contains("Tr0ub4dor"), "\(log)")
        #expect(!log.contains("Kx9vQm2pRt"))
        // And the Run step's script as the shell logs it.
        #expect(!GuestShell.shownCommand("echo 'student:\(secret)' | chpasswd").contains("Tr0ub4dor"))
    }

    @Test("a base disk with a backing file is refused by customize before any appliance starts")
    func backedBase() async throws {
        let dir = try TemporaryDirectory()
        let secret = dir.appending("host-file.raw")
        try Data(repeating: 7, count: 65536).write(to: URL(fileURLWithPath: secret))
        let base = dir.appending("backed.qcow2")
        try await Command.check(["qemu-img", "create", "-q", "-f", "qcow2", "-b", secret, "-F", "raw", base])
        await #expect(throws: CustomizeError.diskImage(.baseReadsHostFile(path: base, file: secret))) {
            try await Customizer().customize(recipe: Recipe(name: "ok") {}, base: base, output: dir.appending("out.qcow2"))
        }
    }

    @Test("step snapshots are 0640 in a 0700 directory")
    func snapshotModes() async throws {
        let dir = try TemporaryDirectory()
        let overlay = dir.appending("overlay.qcow2")
        try await Command.check(["qemu-img", "create", "-q", "-f", "qcow2", overlay, "1M"])
        let cache = StepCache(directory: dir.appending("cache/snapshots"))
        let stored = try #require(try cache.store(overlay: overlay, key: "k"))
        let mode: (String) -> Int = { ((try? FileManager.default.attributesOfItem(atPath: $0)[.posixPermissions]) as? Int ?? -1) & 0o7777 }
        #expect(mode(stored) == 0o640)
        #expect(mode(cache.directory) == 0o700)
        #expect(mode(dir.appending("cache")) == 0o700)
    }
}
