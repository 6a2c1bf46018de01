// Where the integration tests find the bootstrapped Debian 13 base, and the customized disk they share.
import Bases
import Crypto
import DiskImage
import Customize
import Foundation
import LabforgeRecipe
import Recipes
#if canImport(Glibc)
import Glibc
#endif

public enum TestBase {
    /// `$LABFORGE_TEST_BASE`, else the Debian 13 base bootstrapped once per machine through the real Bases cache.
    public static func path() async throws -> String {
        if let explicit = ProcessInfo.processInfo.environment["LABFORGE_TEST_BASE"] { return explicit }
        return try await SharedDebianBase.path()
    }

    /// The test cache: `$LABFORGE_TEST_CACHE` or `~/.cache/labforge-test`.
    public static var cacheDirectory: String {
        ProcessInfo.processInfo.environment["LABFORGE_TEST_CACHE"] ?? (NSHomeDirectory() + "/.cache/labforge-test")
    }
}

/// A shipped recipe's disk customized once per (recipe fingerprint, base) and shared by every heavy test of every
/// test process (a lock file per recipe serializes the first build): `debian-desktop` for the desktop proofs,
/// `linux-basics` for the lab's life (tasks, idle stop, persistent home).
public enum SharedRecipeDisk {
    /// The disk, the customization result (nil when cached by an older run) and its build log.
    public struct Built: Sendable {
        public var path: String
        public var result: CustomizationResult?
        public var log: String
    }

    private static let memo = Memo()

    /// The customized disk of `recipe`, built on first use. Concurrent callers of one process share one build.
    /// - Parameter recipe: A shipped recipe (its name names the disk and its lock).
    public static func get(_ recipe: Recipe) async throws -> Built {
        try TestTier.requireVMTier("the shared \(recipe.name) disk")
        return try await memo.value(recipe.name) { try await build(recipe) }
    }
    private static func build(_ recipe: Recipe) async throws -> Built {
        // As `labforge build` does for amd64: the recipe's leading package installs done by the bootstrap on the host
        // (a base of its own, shared through the test cache), the rest in the appliance. Installing the Xfce desktop
        // with the appliance's emulated apt would take most of make test's budget. An explicit LABFORGE_TEST_BASE
        // gets every step in the appliance.
        let host = HostPackagePlan(plan: recipe.plan)
        let base: String
        let hostSteps: Set<Int>
        if ProcessInfo.processInfo.environment["LABFORGE_TEST_BASE"] == nil, case .debianBootstrap(let spec) = recipe.base, !host.isEmpty {
            // As the base stage does: the pinned .debs the bootstrap installs (ttyd) come from the artifact cache.
            let built = host.adding(to: spec)
            let artifacts = ArtifactCache(directory: SharedDebianBase.cache.root + "/artifacts", locks: SharedDebianBase.cache.locks)
            var pinnedFiles: [String: String] = [:]
            for artifact in built.pinnedPackages.compactMap(\.source.artifact) where pinnedFiles[artifact.sha256] == nil {
                pinnedFiles[artifact.sha256] = try await artifacts.fetch(artifact)
            }
            base = try await SharedDebianBase.resolved(.debianBootstrap(built), pinnedFiles: pinnedFiles).path
            hostSteps = Set(host.steps)
        } else {
            base = try await TestBase.path()
            hostSteps = []
        }
        let attributes = try FileManager.default.attributesOfItem(atPath: base)
        let baseIdentity = "\(base)|\(attributes[.size] ?? 0)|\((attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0)"
        let key = SHA256.hash(data: Data((try recipe.fingerprint + "|" + baseIdentity).utf8)).prefix(8).map { String(format: "%02x", $0) }.joined()
        let directory = TestBase.cacheDirectory
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let disk = "\(directory)/\(recipe.name)-\(key).qcow2"
        let resultPath = disk + ".result.json"
        let logPath = disk + ".log"

        // Across processes; waits without blocking a thread (a blocking flock here once took both threads of the
        // cooperative pool while the holder waited to resume: a deadlock).
        let lock = try await FileLock.acquire("\(directory)/\(recipe.name).lock")
        defer { lock.release() }

        // The disk counts only with its result and log beside it: a run stopped between the disk's rename and
        // those writes leaves a disk whose build log the tests could not read; build it again then.
        if FileManager.default.fileExists(atPath: disk), FileManager.default.fileExists(atPath: resultPath),
           FileManager.default.fileExists(atPath: logPath) {
            let result = (try? Data(contentsOf: URL(fileURLWithPath: resultPath))).flatMap { try? JSONDecoder().decode(CustomizationResult.self, from: $0) }
            return Built(path: disk, result: result, log: (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "")
        }
        try? FileManager.default.removeItem(atPath: disk)
        let log = LogCollector()
        var customizer = Customizer(log: { log.append($0) })
        customizer.hostInstalledSteps = hostSteps
        let result = try await VMSlots.hold { try await customizer.customize(recipe: recipe, base: base, output: disk) }
        try JSONEncoder().encode(result).write(to: URL(fileURLWithPath: resultPath))
        try log.text.write(toFile: logPath, atomically: true, encoding: .utf8)
        return Built(path: disk, result: result, log: log.text)
    }
}

/// The shipped desktop's shared disk (``SharedRecipeDisk`` of `debian-desktop`).
public enum SharedDesktopDisk {
    /// The customized `debian-desktop` disk, built on first use.
    public static func get() async throws -> SharedRecipeDisk.Built {
        try await SharedRecipeDisk.get(Recipes.debianDesktop)
    }
}

/// One build per process and recipe: the first caller starts it, later callers await the same task.
private actor Memo {
    private var tasks: [String: Task<SharedRecipeDisk.Built, Error>] = [:]

    func value(_ name: String, _ make: @escaping @Sendable () async throws -> SharedRecipeDisk.Built) async throws -> SharedRecipeDisk.Built {
        if let task = tasks[name] { return try await task.value }
        let task = Task { try await make() }
        tasks[name] = task
        return try await task.value
    }
}

/// Collects a build log in memory.
public final class LogCollector: @unchecked Sendable {
    public init() {}
    private let lock = NSLock()
    private var buffer = ""
    public func append(_ text: String) {
        lock.lock()
        buffer += text
        lock.unlock()
    }
    public var text: String {
        lock.lock()
        defer { lock.unlock() }
        return buffer
    }
}

extension TestBase {
    /// A labforge cache of its own in `directory` (step cache, finished disks and compiled recipes start empty)
    /// whose `bases/` and `artifacts/` are the test run's, so `labforge build` reuses the bootstrapped base.
    /// - Parameter directory: A temporary directory.
    /// - Returns: The cache root to pass as `--cache-dir`.
    public static func buildCache(in directory: TemporaryDirectory) async throws -> String {
        _ = try await path()
        let cache = directory.appending("cache")
        try FileManager.default.createDirectory(atPath: cache, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: cache + "/bases", withDestinationPath: cacheDirectory + "/bases")
        let artifacts = cacheDirectory + "/artifacts"
        try FileManager.default.createDirectory(atPath: artifacts, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: cache + "/artifacts", withDestinationPath: artifacts)
        return cache
    }
}
