// How `labforge build` runs: where outputs and caches go, what to publish, how many images at once.
import Catalog
import Foundation
import SourceDate
import OCI
import Signing

/// Where images are pushed: `REGISTRY/PREFIX`; image `<name>` goes to `REGISTRY/PREFIX/<name>`.
public struct PushTarget: Sendable, Hashable, Codable, CustomStringConvertible {
    /// `host[:port]`.
    public var registry: String
    /// Repository path prefix inside the registry (may be empty).
    public var prefix: String

    /// Parses `REGISTRY/PREFIX` (`127.0.0.1:5000/labs`, `ghcr.io/acme/labs`, `quay.io`).
    /// - Parameter text: The option value.
    /// - Throws: ``PipelineError/invalidPushTarget(_:reason:)``.
    public init(parsing text: String) throws {
        let trimmed = text.hasSuffix("/") ? String(text.dropLast()) : text
        let parts = trimmed.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        guard let host = parts.first, !host.isEmpty, host.contains(".") || host.contains(":") || host == "localhost" else {
            throw PipelineError.invalidPushTarget(text, reason: "the first component must be a registry host (with a dot or a port)")
        }
        do { registry = try RegistryHost(parsing: host).description } catch {
            throw PipelineError.invalidPushTarget(text, reason: "\(error)")
        }
        prefix = parts.count > 1 ? parts[1] : ""
        if !prefix.isEmpty {
            do { _ = try RepositoryName(prefix + "/x") } catch {
                throw PipelineError.invalidPushTarget(text, reason: "\(error)")
            }
        }
    }

    /// The repository (without registry) of an image.
    /// - Parameter name: The image name.
    /// - Returns: `PREFIX/name`, or `name` without a prefix.
    public func repository(for name: String) -> String { prefix.isEmpty ? name : "\(prefix)/\(name)" }

    public var description: String { prefix.isEmpty ? registry : "\(registry)/\(prefix)" }
}

/// Options of a build run.
public struct BuildOptions: Sendable {
    /// Output root: `<output>/<name>/<version>/`, `<output>/catalog.json`, `<output>/index.html`.
    public var output: String
    /// Cache root (bases, artifacts, step snapshots, finished disks).
    public var cacheRoot: String
    /// Where to push; nil: no push (manifests then name ``referencePrefix``).
    public var push: PushTarget?
    /// Where manifests and the catalog say the image lives when nothing is pushed.
    public var referencePrefix: PushTarget
    /// Images built at once.
    public var jobs: Int
    /// Boot and probe each image before publishing it.
    public var verify: Bool
    /// Rebuild everything, ignoring caches of finished stages (bases and downloads stay cached).
    public var force: Bool
    /// Ask the Debian mirror now whether the archives of bootstrapped bases changed, instead of at most every 6 hours.
    public var refreshArchives = false
    /// Compression of the containerDisk layer (the qcow2 is already zstd-compressed inside).
    public var layerCompression: LayerCompression
    /// Appliance memory in MiB.
    public var applianceMemoryMiB: Int32
    /// Appliance and verification vCPUs.
    public var cpus: Int
    /// Seconds a verification may take from boot.
    public var verifyTimeout: Double
    /// `SOURCE_DATE_EPOCH` when set: layout timestamps and the `<version>-<YYYYMMDDhhmm>` tag.
    public var sourceDateEpoch: Int64?
    /// Registry auth file (`--authfile`); nil: the usual docker/podman locations.
    public var authFile: String?
    /// labforge's version, part of every fingerprint.
    public var toolVersion: String
    /// Signs every pushed manifest in cosign's format when set (`--sign-key` / `LABFORGE_SIGN_KEY`).
    public var signingKey: SigningKey? = nil
    /// Where each recipe (by name) came from, recorded in the catalog.
    public var recipeSources: [String: CatalogEntry.RecipeSource] = [:]

    /// Creates options.
    /// - Parameters:
    ///   - output: Output root (default `images`).
    ///   - cacheRoot: Cache root.
    ///   - push: Push target, or nil.
    ///   - referencePrefix: Reference prefix for manifests without a push.
    ///   - jobs: Images at once (nil: from cores and memory).
    ///   - verify: Verify before publishing.
    ///   - force: Ignore the caches of finished stages.
    ///   - layerCompression: containerDisk layer compression.
    ///   - applianceMemoryMiB: Appliance memory.
    ///   - cpus: vCPUs for the appliance and the verification VM.
    ///   - verifyTimeout: Verification deadline in seconds.
    ///   - sourceDateEpoch: Reproducible time.
    ///   - authFile: Registry auth file.
    ///   - toolVersion: labforge's version.
    public init(
        output: String = "images", cacheRoot: String, push: PushTarget? = nil, referencePrefix: PushTarget? = nil, jobs: Int? = nil,
        verify: Bool = true, force: Bool = false, layerCompression: LayerCompression = .none, applianceMemoryMiB: Int32 = 2048,
        cpus: Int = 2, verifyTimeout: Double = 600, sourceDateEpoch: Int64? = BuildOptions.sourceDateEpochFromEnvironment(),
        authFile: String? = nil, toolVersion: String
    ) {
        self.output = output
        self.cacheRoot = cacheRoot
        self.push = push
        // swiftlint:disable:next force_try
        self.referencePrefix = referencePrefix ?? push ?? (try! PushTarget(parsing: "localhost:5000/labs"))
        self.jobs = max(1, jobs ?? Self.defaultJobs())
        self.verify = verify
        self.force = force
        self.layerCompression = layerCompression
        self.applianceMemoryMiB = applianceMemoryMiB
        self.cpus = cpus
        self.verifyTimeout = verifyTimeout
        self.sourceDateEpoch = sourceDateEpoch
        self.authFile = authFile
        self.toolVersion = toolVersion
    }

    /// One image per 2 cores and per 4 GiB of memory (an appliance or a VM takes 2 vCPUs and 2 GiB, plus
    /// the host's share), at least one.
    public static func defaultJobs() -> Int {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let gib = Int(ProcessInfo.processInfo.physicalMemory >> 30)
        return max(1, min(cores / 2, gib / 4))
    }

    /// `SOURCE_DATE_EPOCH` as this process read it once (``SourceDateEpoch/current()``; a malformed value is refused
    /// by the CLI before any command runs, and counts as unset here).
    public static func sourceDateEpochFromEnvironment() -> Int64? {
        (try? SourceDateEpoch.current())??.seconds
    }

    /// The dated tag of a version, `<version>-<YYYYMMDDhhmm>`: from `SOURCE_DATE_EPOCH` when set, else now (UTC).
    /// - Parameters:
    ///   - version: The recipe version.
    ///   - now: The current time.
    /// - Returns: e.g. `1.0.0-202611260930`.
    public func datedTag(version: String, now: Date = Date()) -> String {
        let date = sourceDateEpoch.map { Date(timeIntervalSince1970: TimeInterval($0)) } ?? now
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMddHHmm"
        return version + "-" + formatter.string(from: date)
    }
}
