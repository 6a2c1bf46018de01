// The bootstrapped Debian 13 base shared by every test on this machine: built at most once, through the real cache.
import Bases
import Foundation
import LabforgeRecipe

/// The default base (Debian trixie from the Debian mirror) for tests that need a real bootable disk.
///
/// It goes through ``BaseImageStore`` with the cache in `$LABFORGE_TEST_CACHE` (default
/// `$HOME/.cache/labforge-test`), so the first test on a machine pays the bootstrap (≈ 2–4 min on 2
/// cores) and every later test, test process or CI step reuses the file. The store's lock file makes
/// concurrent callers — tests running in parallel or other `swift test` processes — wait for the one
/// build instead of starting their own.
public enum SharedDebianBase {
    /// The test cache directory.
    public static var cache: CacheDirectory {
        let environment = ProcessInfo.processInfo.environment
        if let explicit = environment["LABFORGE_TEST_CACHE"], !explicit.isEmpty { return CacheDirectory(root: explicit) }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return CacheDirectory(root: home + "/.cache/labforge-test")
    }

    /// The labforge version keyed into the cache: the built CLI's own, so `labforge base bootstrap
    /// --cache-dir <test cache>` finds the same entry; a fixed string when the CLI is not built.
    public static var toolVersion: String {
        get async {
        if let result = try? await Command.run([Command.labforgeBinary, "--version"]), result.status == 0 {
            let version = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            if !version.isEmpty { return version }
        }
        return "0.1.0"
        }
    }

    /// The store the shared base lives in.
    public static var store: BaseImageStore {
        get async { BaseImageStore(cache: cache, toolVersion: await toolVersion) }
    }

    /// Returns the shared base, bootstrapping it on first use.
    /// - Returns: The read-only qcow2 (copy it or use an overlay before writing).
    /// - Throws: ``BasesError`` when the bootstrap fails.
    public static func resolved() async throws -> ResolvedBase {
        try TestTier.requireVMTier("the shared bootstrapped base")
        return try await SharedDebianBaseMemo.shared.resolve()
    }

    /// Another base through the same cache and memo (e.g. a bootstrap with a recipe's host packages), built on first use.
    /// - Parameters:
    ///   - base: The base.
    ///   - pinnedFiles: The pinned `.deb`s its bootstrap installs, by sha256 (as the base stage hands them on).
    /// - Returns: The resolved base.
    /// - Throws: ``BasesError`` when the bootstrap fails.
    public static func resolved(_ base: BaseImage, pinnedFiles: [String: String] = [:]) async throws -> ResolvedBase {
        try TestTier.requireVMTier("a bootstrapped base")
        return try await SharedDebianBaseMemo.shared.resolve(base, pinnedFiles: pinnedFiles)
    }

    /// The path of the shared base, bootstrapping it on first use.
    /// - Returns: Path of a read-only qcow2.
    /// - Throws: ``BasesError`` when the bootstrap fails.
    public static func path() async throws -> String {
        try await resolved().path
    }

    /// The arm64 bootstrap of the same suite (what `Recipe.building(for: .arm64)` makes of the default base).
    public static let arm64Spec = DebianBootstrap(architecture: .arm64)

    /// The shared arm64 base: its root tree archive (``BaseContent/rootTreeArchive``), bootstrapped under
    /// qemu-user on first use (≈ 10 min on 2 cores) in the same test cache, so the pipeline's arm64 tests reuse it.
    /// - Returns: The read-only tar.
    /// - Throws: ``BasesError`` when the bootstrap fails (e.g. no qemu-user binfmt handler: `make deps`).
    public static func resolvedArm64() async throws -> ResolvedBase {
        try TestTier.requireVMTier("the shared arm64 base")
        return try await SharedDebianBaseMemo.shared.resolve(.debianBootstrap(arm64Spec))
    }

    /// Writes a bootable arm64 disk from the shared arm64 base's tree, unchanged (``DebianBootstrapper/writeDisk(rootTreeArchive:spec:sizeGiB:output:)``).
    /// - Parameters:
    ///   - output: The qcow2 to write.
    ///   - sizeGiB: Its size (the bootstrap's 4 GiB by default).
    /// - Throws: ``BasesError``.
    public static func writeArm64Disk(to output: String, sizeGiB: Int? = nil) async throws {
        let base = try await resolvedArm64()
        try await store.bootstrapper.writeDisk(
            rootTreeArchive: base.path, spec: arm64Spec, sizeGiB: sizeGiB ?? arm64Spec.diskSizeGiB, output: output)
    }
}

/// Remembers each base within one test process (no repeated version probe or lock round-trip).
/// Concurrent callers of one base share one resolve: only the first takes a VM slot (a second one waiting on the store's
/// lock while holding the other slot would stall every VM test for the whole arm64 bootstrap, ≈ 10–25 min).
private actor SharedDebianBaseMemo {
    static let shared = SharedDebianBaseMemo()
    private var results: [BaseImage: ResolvedBase] = [:]
    private var inFlight: [BaseImage: Task<ResolvedBase, any Error>] = [:]

    func resolve(_ base: BaseImage = .defaultDebian, pinnedFiles: [String: String] = [:]) async throws -> ResolvedBase {
        if let result = results[base], FileManager.default.fileExists(atPath: result.path) { return result }
        if let running = inFlight[base] { return try await running.value }
        let task = Task {
            let store = await SharedDebianBase.store
            return try await VMSlots.hold { try await store.resolve(base, pinnedFiles: pinnedFiles) }
        }
        inFlight[base] = task
        defer { inFlight[base] = nil }
        let resolved = try await task.value
        results[base] = resolved
        return resolved
    }
}
