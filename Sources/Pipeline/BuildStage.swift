// The stages of an image's build, in order, and what happened in each.

/// One stage of `labforge build` for one image.
public enum BuildStage: String, Sendable, Codable, CaseIterable {
    /// Resolve the base image (download or bootstrap, cached).
    case base
    /// Run the recipe's steps in one libguestfs appliance (step-cached); a pod image: make its root tree on the host.
    case customize
    /// Rewrite the disk as a dense zstd-compressed qcow2 and `qemu-img check` it.
    case finalize
    /// Read the finished disk's package database into an SPDX SBOM (cached with the disk).
    case sbom
    /// Boot it and probe its agents (a pod image: run it in namespaces and probe them).
    case verify
    /// Pack it as a containerDisk OCI layout (a pod image: pack the root tree as an OCI image).
    case package
    /// Push the layout to the registry.
    case push
    /// Attach the SBOM as a referrer of the pushed image; with a key, sign it and attest the SBOM and the provenance.
    case sign
    /// Write the Kubernetes manifests.
    case manifests
    /// Once per recipe built for several architectures, after its images: make the OCI image index over them, push it
    /// under the version's tags with their SBOMs as referrers and a signature, and write each architecture's manifests
    /// pinned to it (recorded in the index's summary, never an image's).
    case index
}

/// What one stage did.
public struct StageRecord: Sendable, Codable, Equatable {
    /// What became of the stage.
    public enum Outcome: String, Sendable, Codable {
        /// It ran and succeeded.
        case ran
        /// Its output was already there for the same inputs (cache hit).
        case cached
        /// Not asked for (`--no-verify`, no `--push`).
        case skipped
        /// It failed; the image stops here.
        case failed
    }

    /// The stage.
    public var stage: BuildStage
    /// What happened.
    public var outcome: Outcome
    /// Wall-clock seconds.
    public var seconds: Double
    /// One line: sizes, digests, cache hits, the error.
    public var detail: String
    /// What identified the stage's output (its cache key), when it has one.
    public var key: String? = nil

    /// Creates a record.
    /// - Parameters:
    ///   - stage: The stage.
    ///   - outcome: What became of it.
    ///   - seconds: Wall-clock seconds (kept to the millisecond).
    ///   - detail: One line.
    ///   - key: Its cache key.
    public init(stage: BuildStage, outcome: Outcome, seconds: Double, detail: String, key: String? = nil) {
        self.stage = stage
        self.outcome = outcome
        self.seconds = (seconds * 1000).rounded() / 1000
        self.detail = detail
        self.key = key
    }
}
