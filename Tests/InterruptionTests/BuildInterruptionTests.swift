// SIGINT and SIGTERM sent to a real `labforge build` (the built binary) early in bootstrap, customize, verify
// and push: it exits within 30 s with 130/143, nothing it started survives, no scratch is left, the cache is as
// before, and the next run succeeds.
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
import TestSupport

@Suite("Interrupting labforge build", .serialized)
struct BuildInterruptionTests {
    /// The limit a deleted Kubernetes Job gives its pod.
    static let exitLimit = 30.0

    @Test("during bootstrap: mmdebstrap and its apt are ended, the bootstrap scratch and partial base removed",
        .timeLimit(.minutes(60)), .bootsVM, arguments: [SIGINT, SIGTERM])
    func duringBootstrap(signal: Int32) async throws {
        try await VMSlots.hold { try await bootstrap(signal: signal) }
    }

    private func bootstrap(signal: Int32) async throws {
        let run = try InterruptedRun()
        // An empty cache: the default base must be bootstrapped.
        let build = run.start(["build", "debian-terminal", "--no-verify"])
        defer { build.killAll() }
        #expect(await build.waitForDescendant(containing: "mmdebstrap", seconds: 300), "mmdebstrap never started")
        try await Task.sleep(for: .seconds(2))  // let apt get going: its children are what used to survive
        try await run.interrupt(build, with: signal)
        let cacheFiles = run.content(under: run.cache)
        #expect(cacheFiles.allSatisfy { !$0.contains("partial") && !$0.hasSuffix(".qcow2") }, "\(cacheFiles)")
    }

    @Test("during customize: the appliance is ended, the customizer's scratch removed, the cache untouched",
        .timeLimit(.minutes(60)), .bootsVM, arguments: [SIGINT, SIGTERM])
    func duringCustomize(signal: Int32) async throws {
        try await VMSlots.hold { try await customize(signal: signal) }
    }

    private func customize(signal: Int32) async throws {
        let run = try InterruptedRun()
        try await run.shareTestBase()
        let before = run.content(under: run.cache)
        let build = run.start(["build", "debian-terminal", "--no-verify"])
        defer { build.killAll() }
        // The libguestfs appliance's qemu carries labforge's launch marker on its command line.
        #expect(await build.waitForDescendant(containing: "labforge.launch=", seconds: 300), "the appliance never started")
        try await Task.sleep(for: .seconds(3))
        try await run.interrupt(build, with: signal)
        #expect(run.content(under: run.cache) == before)
    }

    @Test("during verify and during push, then a complete run", .timeLimit(.minutes(60)), .bootsVM)
    func duringVerifyAndPushThenNextRunSucceeds() async throws {
        try await VMSlots.hold { try await verifyAndPush() }
    }

    private func verifyAndPush() async throws {
        let run = try InterruptedRun()
        try await run.shareTestBase()
        let registry = try LocalRegistry()
        defer { registry.stop() }
        let arguments = ["build", "debian-terminal", "--push", "\(registry.address)/labs"]

        // Verify: qemu-system boots the finished disk from an overlay in the run's temp directory.
        let verifying = run.start(arguments)
        defer { verifying.killAll() }
        #expect(await verifying.waitForDescendant(containing: "labforge-verify-", seconds: 2400), "verification never started")
        try await Task.sleep(for: .seconds(2))
        try await run.interrupt(verifying, with: SIGINT)
        let afterVerify = run.content(under: run.cache)

        // Push: the finished disk is cached, so the next run verifies again and then uploads to the registry.
        let pushing = run.start(arguments)
        defer { pushing.killAll() }
        let uploads = registry.storagePath + "/docker/registry/v2/repositories"
        #expect(await pushing.wait(seconds: 1200) { FileManager.default.fileExists(atPath: uploads) }, "the push never started")
        try await run.interrupt(pushing, with: SIGTERM)
        #expect(Set(run.content(under: run.cache)).isSuperset(of: afterVerify))

        // The next run completes: verified and pushed.
        let final = run.start(arguments)
        defer { final.killAll() }
        let result = try #require(await final.waitForExit(seconds: 2400), "the last run did not finish")
        #expect(result.status == 0, "\(result.stderr.suffix(3000))")
        let inspected = try await Command.run(["skopeo", "inspect", "--tls-verify=false", "docker://\(registry.address)/labs/debian-terminal:1.0.0"])
        #expect(inspected.status == 0, "\(inspected.stderr)")
    }
}

/// One test's directories: cache, output and TMPDIR, all under one temp directory, so everything a run starts
/// or leaves behind is found by that path.
struct InterruptedRun {
    let directory: TemporaryDirectory
    var cache: String { directory.appending("cache") }
    var output: String { directory.appending("images") }
    var temporary: String { directory.appending("tmp") }

    init() throws {
        directory = try TemporaryDirectory(prefix: "labforge-interrupt")
        for path in [directory.appending("cache"), directory.appending("images"), directory.appending("tmp")] {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        }
    }

    /// Links the test run's bootstrapped base and downloaded artifacts into this cache (built once per machine).
    func shareTestBase() async throws {
        _ = try await TestBase.path()
        try FileManager.default.createSymbolicLink(atPath: cache + "/bases", withDestinationPath: TestBase.cacheDirectory + "/bases")
        let artifacts = TestBase.cacheDirectory + "/artifacts"
        try FileManager.default.createDirectory(atPath: artifacts, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: cache + "/artifacts", withDestinationPath: artifacts)
    }

    /// Starts `labforge arguments… --output … --cache-dir …` with TMPDIR in this run's directory.
    func start(_ arguments: [String]) -> BackgroundLabforge {
        BackgroundLabforge(
            arguments + ["--output", output, "--cache-dir", cache],
            environment: ["TMPDIR": temporary, "LABFORGE_TEST_CACHE": TestBase.cacheDirectory, "LABFORGE_ACCEL": "tcg"])
    }

    /// Sends `signal` and checks the exit: in time, with 128 + signal, nothing left running, no scratch left.
    func interrupt(_ build: BackgroundLabforge, with signal: Int32) async throws {
        let sent = Date()
        build.send(signal)
        let result = try #require(await build.waitForExit(seconds: BuildInterruptionTests.exitLimit), "labforge did not exit within 30 s")
        print("interrupted with signal \(signal): exited \(result.status) after \(String(format: "%.1f", Date().timeIntervalSince(sent))) s")
        #expect(result.status == 128 + signal, "\(result.stderr.suffix(3000))")
        // SIGKILLed children may take a moment to be reaped by init after labforge is gone.
        var survivors = build.survivors + BackgroundLabforge.processes(containing: directory.path)
        let deadline = Date().addingTimeInterval(3)
        while !survivors.isEmpty, Date() < deadline {
            try await Task.sleep(for: .milliseconds(200))
            survivors = build.survivors + BackgroundLabforge.processes(containing: directory.path)
        }
        #expect(survivors.isEmpty, "still running: \(survivors)")
        // libguestfs keeps its built appliance in $TMPDIR/.guestfs-<uid> for every later run: a cache, not scratch.
        let scratch = files(under: temporary).filter { !$0.hasPrefix(".guestfs-") }
        #expect(scratch.isEmpty, "scratch left in TMPDIR: \(scratch)")
        let hidden = content(under: output).filter { path in
            path.split(separator: "/").contains { $0.hasPrefix(".") } || path.contains("partial")
        }
        #expect(hidden.isEmpty, "scratch left in the output: \(hidden)")
    }

    /// The files below `root` that hold something: lock files (kept by design, empty), directories and the compiled
    /// recipes (a complete entry the run made before the signal, renamed into place) left out.
    func content(under root: String) -> [String] {
        files(under: root).filter { path in
            guard !path.hasSuffix(".lock"), !(path.hasPrefix("recipes/") && !path.contains("partial")) else { return false }
            let type = (try? FileManager.default.attributesOfItem(atPath: root + "/" + path))?[.type] as? FileAttributeType
            return type != .typeDirectory
        }
    }

    /// Every path below `root` (symbolic links are listed, not followed: the shared base belongs to every test),
    /// relative to it, sorted.
    func files(under root: String, prefix: String = "") -> [String] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        var paths: [String] = []
        for entry in entries {
            let path = root + "/" + entry
            paths.append(prefix + entry)
            let type = (try? FileManager.default.attributesOfItem(atPath: path))?[.type] as? FileAttributeType
            if type == .typeDirectory { paths += files(under: path, prefix: prefix + entry + "/") }
        }
        return paths.sorted()
    }
}
