// What `labforge build` says about one image: written as summary.json beside it and printed with --json.
import Foundation
import Kube
import LabforgeRecipe

/// The result of building one image (the documented shape of `summary.json` and of `--json` output).
public struct BuildSummary: Sendable, Codable, Equatable {
    /// The image as a whole.
    public enum Status: String, Sendable, Codable {
        /// At least one stage ran and every stage succeeded.
        case built
        /// Nothing to do: same fingerprint, every output in place.
        case unchanged
        /// A stage failed (see ``error``).
        case failed
    }

    /// A published reference.
    public struct Pushed: Sendable, Codable, Equatable {
        /// `registry/repository@sha256:…`.
        public var reference: String
        /// `registry/repository`.
        public var repository: String
        /// Tags set.
        public var tags: [String]
    }

    /// The verification outcome.
    public struct Verification: Sendable, Codable, Equatable {
        /// `passed`, `failed` or `not-run`.
        public var status: String
        /// One line per probe.
        public var summary: String
        /// Path of the JSON report.
        public var report: String?
        /// Pictures the verification took, in the output directory.
        public var pictures: Pictures? = nil
    }

    /// What the students will see: files beside the disk.
    public struct Pictures: Sendable, Codable, Equatable {
        /// `desktop.png`: the desktop through websockify.
        public var desktop: String?
        /// `terminal.txt`: the terminal's first screen.
        public var terminal: String?
    }

    /// The failure that stopped the image.
    public struct Failure: Sendable, Codable, Equatable {
        /// The failed stage.
        public var stage: BuildStage
        /// The error message.
        public var message: String
    }

    /// Recipe name.
    public var name: String
    /// Recipe version.
    public var version: String
    /// Outcome.
    public var status: Status
    /// Image fingerprint (hex sha256).
    public var fingerprint: String
    /// Base identity.
    public var baseImage: String
    /// `<output>/<name>/<version>`.
    public var directory: String
    /// The final disk (zstd-compressed qcow2).
    public var disk: String?
    /// Its allocated bytes.
    public var diskBytes: Int64?
    /// The OCI layout.
    public var layout: String?
    /// Its manifest digest.
    public var manifestDigest: String?
    /// Where it was pushed.
    public var pushed: Pushed?
    /// Reference the manifests and the catalog use (pinned by digest).
    public var reference: String?
    /// The manifests directory.
    public var manifests: String?
    /// Verification.
    public var verification: Verification
    /// Every stage, in order.
    public var stages: [StageRecord]
    /// The build log.
    public var log: String
    /// UTC time the build finished (RFC 3339).
    public var finished: String
    /// Wall-clock seconds of this run for this image.
    public var seconds: Double
    /// Why it failed.
    public var error: Failure?
    /// The SBOM written beside the disk, when the build got that far.
    public var sbom: SBOMRecord? = nil
    /// The cosign signature pushed beside the image, when signed.
    public var signature: SignatureRecord? = nil
    /// For a bootstrapped base: the newest publication date of the Debian archives it was installed from
    /// (RFC 3339), so a reader sees how fresh the image's packages are.
    public var archiveDate: String? = nil
    /// Every firmware the recipe claims, in claim order, each `verified`, `failed` or `not-verified` by this build
    /// (`[{"firmware": "uefi-secure-boot", "status": "verified"}, …]`); nil for a recipe refused before it was built.
    public var firmware: FirmwareBasis? = nil
    /// `vm` (a containerDisk) or `container` (a pod image); nil in summaries written before pod images went through the
    /// same pipeline (VM images).
    public var kind: BuildTarget? = nil
    /// The image's architecture (nil in summaries written before labforge built more than amd64).
    public var architecture: Architecture? = nil
    /// A pod image's lab user uid (its manifests run the pod as it).
    public var podUID: Int? = nil
    /// The image layer's compressed bytes, when this run packed it.
    public var imageBytes: Int64? = nil
    /// A pod image's layer uncompressed (its root tree's bytes).
    public var uncompressedBytes: Int64? = nil

    /// A cosign signature of the pushed manifest.
    public struct SignatureRecord: Sendable, Codable, Equatable {
        /// `registry/repository:sha256-<hex>.sig`.
        public var reference: String
        /// `sha256:…` of the signing public key (SubjectPublicKeyInfo DER).
        public var keyFingerprint: String
        /// `registry/repository:sha256-<hex>.att`: the signed SBOM and SLSA provenance attestations.
        public var attestations: String? = nil
        /// The attested predicate types (`https://spdx.dev/Document`, `https://slsa.dev/provenance/v1`).
        public var predicateTypes: [String]? = nil
        /// Seconds signing and attesting took (keys, statements, uploads), for the cost benchmark.
        public var seconds: Double? = nil
    }

    /// The SBOM of the image: where, its digest and how many packages it lists.
    public struct SBOMRecord: Sendable, Codable, Equatable {
        /// `sbom.spdx.json` in the output directory.
        public var path: String
        /// `sha256:…` of the file.
        public var digest: String
        /// Installed packages.
        public var packages: Int
        /// `registry/repository@sha256:…` of the SBOM's referrer manifest, when it was attached to the pushed image.
        public var referrer: String? = nil
        /// Seconds reading the package database took in this run (nil: taken from the cache).
        public var seconds: Double? = nil
        /// Seconds attaching the referrer took.
        public var referrerSeconds: Double? = nil
    }
}

/// Everything one `labforge build` run did (the `--json` document).
public struct BuildReport: Sendable, Codable, Equatable {
    /// One summary per image, VM and pod images alike (`kind`), VM images first, each kind in the order asked.
    public var images: [BuildSummary]
    /// One per recipe built for several architectures: the OCI index over its images (absent when there is none).
    public var indexes: [IndexSummary]? = nil
    /// The catalog JSON.
    public var catalog: String
    /// The catalog page.
    public var page: String
    /// Whether the catalog files were rewritten (false when nothing changed).
    public var catalogUpdated: Bool
    /// Images that failed.
    public var failed: Int
    /// Wall-clock seconds of the run.
    public var seconds: Double

    /// A plain-text table: image, status, per-stage seconds, reference or error.
    public var table: String {
        var rows = [["image", "status", "time", "stages", "result"]]
        for image in images {
            let stages = image.status == .unchanged ? "nothing to do (built \(image.finished))" : image.stages.filter { $0.outcome != .skipped }.map { record -> String in
                let mark = record.outcome == .cached ? "=" : record.outcome == .failed ? "!" : ""
                return "\(record.stage.rawValue)\(mark) \(String(format: "%.0f", record.seconds))s"
            }.joined(separator: ", ")
            let result = image.error.map { "\($0.stage.rawValue): \($0.message)" } ?? image.reference ?? image.disk ?? ""
            let firmware = image.error == nil ? image.firmware.map { "; firmware: \($0.summary)" } ?? "" : ""
            rows.append([
                "\(image.name) \(image.version)" + (image.architecture.map { $0 == .amd64 ? "" : " \($0)" } ?? "") + (image.kind == .container ? " (pod)" : ""),
                image.status.rawValue,
                String(format: "%.1fs", image.seconds), stages, String(result.prefix(160)) + firmware,
            ])
        }
        for index in indexes ?? [] {
            rows.append([
                "\(index.name) \(index.version) index" + (index.kind == .container ? " (pod)" : ""), index.status.rawValue,
                String(format: "%.1fs", index.seconds), index.architectures.map(\.rawValue).joined(separator: "+"),
                index.error ?? index.reference ?? index.layout ?? "",
            ])
        }
        let widths = (0..<4).map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { index, cell in index < 4 ? cell.padding(toLength: widths[index], withPad: " ", startingAt: 0) : cell }
                .joined(separator: "  ")
        }.joined(separator: "\n") + "\n(= cached, ! failed)"
    }
}
