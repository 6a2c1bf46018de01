// What `labforge build` says about one multi-architecture index: written as oci-index.summary.json beside the layout
// and printed with --json under `indexes`.
import Foundation
import LabforgeRecipe

/// What the index of one recipe's images came to (in the `--json` report's `indexes`).
public struct IndexSummary: Sendable, Codable, Equatable {
    /// Recipe name and version.
    public var name: String, version: String
    /// VM or pod images.
    public var kind: BuildTarget
    /// The architectures it lists, in index order.
    public var architectures: [Architecture]
    /// `built`, `unchanged` (the `index` stage's key as before and its outputs in place) or `failed`.
    public var status: BuildSummary.Status
    /// The multi-architecture layout.
    public var layout: String?
    /// The index's digest.
    public var digest: String?
    /// `registry/repository:version@sha256:…` of the index: what manifests and the catalog pin.
    public var reference: String?
    /// Where the index was pushed (nil: no `--push`).
    public var pushed: BuildSummary.Pushed?
    /// Each architecture's SBOM attached to the index as a referrer (`registry/repository@sha256:…`).
    public var sbomReferrers: [String]?
    /// The index's cosign signature (nil: no key, or not pushed).
    public var signature: BuildSummary.SignatureRecord?
    /// Each architecture's manifests directory (written pinned to the index).
    public var manifests: [String]
    /// Why it failed.
    public var error: String?
    /// Seconds it took.
    public var seconds: Double
    /// The `index` stage's record (outcome, seconds, detail, key), as an image's `stages`; nil in records written
    /// before the index was a driver-run stage, and for an index that failed before its stage ran.
    public var stages: [StageRecord]? = nil
}
