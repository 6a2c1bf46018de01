// The engine's failure path on a real disk, its offline unit enabling logic, and the artifact cache
// against a local HTTP server.
@testable import Customize
import Foundation
import LabforgeRecipe
import Testing
import TestSupport

@Suite("customization engine")
struct EngineTests {
    @Test("a failing Run step names the step, command, status and output tail, and leaves no output", .bootsVM)
    func failingRunStep() async throws {
        let dir = try TemporaryDirectory()
        let output = dir.appending("broken.qcow2")
        let recipe = Recipe(name: "broken", sysprep: nil) {
            WriteFile("/etc/labforge-test", contents: "x")
            Run("echo before-the-failure; exit 3")
            WriteFile("/etc/never", contents: "y")
        }
        do {
            let base = try await TestBase.path()
            _ = try await VMSlots.hold { try await Customizer().customize(recipe: recipe, base: base, output: output) }
            Issue.record("the build should fail")
        } catch CustomizeError.stepFailed(let number, let total, let title, let failure) {
            #expect(number == 2 && total == 3)
            #expect(title == "run echo before-the-failure; exit 3")
            #expect(failure.status == 3)
            #expect(failure.command?.contains("exit 3") == true)
            #expect(failure.outputTail.contains("before-the-failure"))
            let message = CustomizeError.stepFailed(number: number, total: total, title: title, failure: failure).description
            #expect(message.contains("step 2/3") && message.contains("status 3") && message.contains("before-the-failure"))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
    }

    @Test("an invalid recipe fails before any disk is touched")
    func invalidRecipe() async throws {
        let dir = try TemporaryDirectory()
        let recipe = Recipe(name: "Bad_Name") { Run("true") }
        await #expect(throws: CustomizeError.invalidRecipe(.invalidName("Bad_Name"))) {
            try await Customizer().customize(recipe: recipe, base: "/nonexistent.qcow2", output: dir.appending("x.qcow2"))
        }
        await #expect(throws: CustomizeError.baseNotFound("/nonexistent.qcow2")) {
            try await Customizer().customize(recipe: Recipe(name: "ok") {}, base: "/nonexistent.qcow2", output: dir.appending("x.qcow2"))
        }
    }

    @Test("[Install] sections become the links systemctl enable would make")
    func installSection() {
        let section = UnitInstallSection(unitText: """
            [Unit]
            WantedBy=not-this.target
            [Service]
            ExecStart=/bin/true
            [Install]
            # comment
            WantedBy=multi-user.target graphical.target
            RequiredBy=x.target
            Alias=other.service
            Also=helper.socket
            """)
        #expect(section.wantedBy == ["multi-user.target", "graphical.target"])
        #expect(section.also == ["helper.socket"])
        let links = section.links(unitName: "a.service", unitPath: "/usr/lib/systemd/system/a.service").map(\.link)
        #expect(links == [
            "/etc/systemd/system/multi-user.target.wants/a.service", "/etc/systemd/system/graphical.target.wants/a.service",
            "/etc/systemd/system/x.target.requires/a.service", "/etc/systemd/system/other.service",
        ])
        #expect(UnitInstallSection(unitText: "[Unit]\nDescription=x\n").isEmpty)
    }

    @Test("adjacent installs are one package-manager run; scripts end a batch")
    func batching() {
        #expect(Step.run(script: "x").endsPackageBatch)
        #expect(Step.writeFile(path: "/etc/apt/sources.list.d/x.list", contents: "", mode: 0o644, owner: .root).endsPackageBatch)
        #expect(!Step.writeFile(path: "/etc/motd", contents: "", mode: 0o644, owner: .root).endsPackageBatch)
        #expect(PackageManager.apt.install(names: ["a b"], files: ["/tmp/x.deb"]).hasSuffix("install 'a b' /tmp/x.deb"), "a word the shell takes literally stays bare")
        #expect(throws: CustomizeError.unsupportedPackageManager(distro: "arch", manager: "pacman")) {
            try PackageManager(inspected: "pacman", distro: "arch")
        }
    }
}

@Suite("artifact cache", .serialized)
struct ArtifactCacheTests {
    /// A python3 http.server on 127.0.0.1 at a free port, serving `directory`; stopped by `stop()`.
    final class FileServer {
        let process = Process()
        let port: Int
        init(directory: String) throws {
            let portFile = directory + "/.port"
            process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
            process.arguments = ["-c", """
                import http.server, functools, sys, os
                handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])
                server = http.server.HTTPServer(("127.0.0.1", 0), handler)
                with open(sys.argv[2] + ".tmp", "w") as f: f.write(str(server.server_address[1]))
                os.rename(sys.argv[2] + ".tmp", sys.argv[2])
                server.serve_forever()
                """, directory, portFile]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            var found = 0
            for _ in 0..<200 where found == 0 {
                if let text = try? String(contentsOfFile: portFile, encoding: .utf8) { found = Int(text) ?? 0 } else { usleep(50_000) }
            }
            try? FileManager.default.removeItem(atPath: portFile)
            port = found
        }
        func stop() {
            guard process.isRunning else { return }
            // SIGKILL: the child inherits the test runner's blocked-signal mask and ignores SIGTERM.
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    @Test("downloads once, verifies sha256, serves later fetches from the cache; a wrong pin is refused")
    func fetch() async throws {
        let served = try TemporaryDirectory()
        let cacheDir = try TemporaryDirectory()
        try Data("pretend package\n".utf8).write(to: served.url.appendingPathComponent("tool_1.0_amd64.deb"))
        let server = try FileServer(directory: served.path)
        defer { server.stop() }
        let sha = try await Command.check(["sha256sum", served.appending("tool_1.0_amd64.deb")]).stdout.prefix(64)
        let cache = ArtifactCache(directory: cacheDir.path)
        let artifact = PinnedArtifact(url: "http://127.0.0.1:\(server.port)/tool_1.0_amd64.deb", sha256: String(sha))
        let path = try await cache.fetch(artifact)
        #expect(path.hasSuffix("/\(sha)/tool_1.0_amd64.deb"))
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "pretend package\n")
        server.stop()
        // The server is gone: the second fetch must come from the cache.
        #expect(try await cache.fetch(artifact) == path)

        let other = try FileServer(directory: served.path)
        defer { other.stop() }
        let wrong = PinnedArtifact(url: "http://127.0.0.1:\(other.port)/tool_1.0_amd64.deb", sha256: String(repeating: "0", count: 64))
        await #expect(throws: CustomizeError.checksumMismatch(url: wrong.url, expected: wrong.sha256, actual: String(sha))) {
            try await cache.fetch(wrong)
        }
        let missing = PinnedArtifact(url: "http://127.0.0.1:\(other.port)/nope.deb", sha256: String(sha))
        await #expect(throws: CustomizeError.downloadFailed(url: missing.url, reason: "HTTP 404")) { try await cache.fetch(missing) }
    }
}
