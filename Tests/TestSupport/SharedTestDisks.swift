// Where the integration tests find the bootstrapped Debian 13 base, and the customized disk they share.
import Crypto
import Customize
import Foundation
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

/// The `debian-desktop` disk customized once per (recipe fingerprint, base) and shared by every heavy test
/// of every test process (a lock file serializes the first build).
public enum SharedDesktopDisk {
    /// The disk, the customization result (nil when cached by an older run) and its build log.
    public struct Built: Sendable {
        public var path: String
        public var result: CustomizationResult?
        public var log: String
    }

    private static let memo = Memo()

    /// The customized disk, built on first use.
    public static func get() async throws -> Built {
        if let built = await memo.value { return built }
        let built = try await build()
        await memo.set(built)
        return built
    }

    private static func build() async throws -> Built {
        let recipe = Recipes.debianDesktop
        let base = try await TestBase.path()
        let attributes = try FileManager.default.attributesOfItem(atPath: base)
        let baseIdentity = "\(base)|\(attributes[.size] ?? 0)|\((attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0)"
        let key = SHA256.hash(data: Data((recipe.fingerprint + "|" + baseIdentity).utf8)).prefix(8).map { String(format: "%02x", $0) }.joined()
        let directory = TestBase.cacheDirectory
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let disk = "\(directory)/debian-desktop-\(key).qcow2"
        let resultPath = disk + ".result.json"
        let logPath = disk + ".log"

        let lock = open("\(directory)/debian-desktop.lock", O_CREAT | O_RDWR, 0o644)
        guard lock >= 0 else { throw POSIXError(.EACCES) }
        defer { close(lock) }
        flock(lock, LOCK_EX)
        defer { flock(lock, LOCK_UN) }

        if FileManager.default.fileExists(atPath: disk) {
            let result = (try? Data(contentsOf: URL(fileURLWithPath: resultPath))).flatMap { try? JSONDecoder().decode(CustomizationResult.self, from: $0) }
            return Built(path: disk, result: result, log: (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "")
        }
        let log = LogCollector()
        let customizer = Customizer(log: { log.append($0) })
        let result = try await customizer.customize(recipe: recipe, base: base, output: disk)
        try JSONEncoder().encode(result).write(to: URL(fileURLWithPath: resultPath))
        try log.text.write(toFile: logPath, atomically: true, encoding: .utf8)
        return Built(path: disk, result: result, log: log.text)
    }
}

private actor Memo {
    var value: SharedDesktopDisk.Built?
    func set(_ built: SharedDesktopDisk.Built) { value = built }
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
