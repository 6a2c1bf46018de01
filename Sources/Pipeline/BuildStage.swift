// The stages of an image's build, in order, and what happened in each.

/// One stage of `labforge build` for one image.
public enum BuildStage: String, Sendable, Codable, CaseIterable {
    /// Resolve the base image (download or bootstrap, cached).
    case base
    /// Run the recipe's steps in one libguestfs appliance (step-cached).
    case customize
    /// Rewrite the disk as a dense zstd-compressed qcow2 and `qemu-img check` it.
    case finalize
    /// Read the finished disk's package database into an SPDX SBOM (cached with the disk).
    case sbom
    /// Boot it and probe its agents.
    case verify
    /// Pack it as a containerDisk OCI layout.
    case package
    /// Push the layout to the registry.
    case push
    /// Write the Kubernetes manifests.
    case manifests
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

    /// Creates a record.
    public init(stage: BuildStage, outcome: Outcome, seconds: Double, detail: String) {
        self.stage = stage
        self.outcome = outcome
        self.seconds = (seconds * 1000).rounded() / 1000
        self.detail = detail
    }
}
