// What a finished customization reports: the output disk, timings per step, sizes.

/// The result of ``Customizer/customize(recipe:base:output:)``.
public struct CustomizationResult: Sendable, Codable, Equatable {
    /// One executed step.
    public struct StepTiming: Sendable, Codable, Equatable {
        /// 1-based number.
        public var number: Int
        /// Step title.
        public var title: String
        /// Where it came from (`recipe`, an agent kind, `sysprep`).
        public var origin: String
        /// Wall-clock seconds.
        public var seconds: Double
    }

    /// Recipe name.
    public var recipe: String
    /// Recipe version.
    public var version: String
    /// The recipe fingerprint (sha256 of its plan and metadata).
    public var fingerprint: String
    /// The base disk.
    public var base: String
    /// The output disk (a standalone qcow2).
    public var output: String
    /// Allocated bytes of the output file.
    public var outputBytes: Int64
    /// `tcg` (forced, e.g. after the KVM fallback) or `automatic` (libguestfs chose: KVM when usable).
    public var accelerator: String
    /// The guest's package manager.
    public var packageManager: String
    /// Seconds for the appliance to start.
    public var launchSeconds: Double
    /// Every step with its time.
    public var steps: [StepTiming]
    /// Wall-clock seconds in all.
    public var totalSeconds: Double
    /// The step whose step-cache snapshot the build resumed from (its steps up to there were not run).
    public var resumedAfterStep: Int?
    /// Steps after which a step-cache snapshot was written.
    public var snapshotsWritten: [Int]?
    /// Seconds spent writing the standalone (and, when asked, compressed) output and checking it.
    public var finalizeSeconds: Double?
}
