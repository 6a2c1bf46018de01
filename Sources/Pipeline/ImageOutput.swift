// The files of one built image under the output root: images/<name>/<version>/….
import AtomicFile
import Foundation
import LabforgeRecipe
import Naming

/// Paths of one image's outputs.
public struct ImageOutput: Sendable, Equatable {
    /// `<output>/<name>/<version>`.
    public var directory: String

    /// The directory below an image's version directory that holds its pod image's build.
    public static let podDirectoryName = "container"
    /// The suffix of a pod image's repository (`labs/debian-desktop-pod`), beside the VM image's.
    public static let podRepositorySuffix = "-pod"

    /// The output directory of `name` `version` under `root`: `<root>/<name>/<version>` for an amd64 VM image, its
    /// `container` subdirectory for a pod image; another architecture's image in a subdirectory named after it
    /// (`<root>/<name>/<version>/arm64`, `<root>/<name>/<version>/container/arm64`).
    /// - Parameters:
    ///   - root: The output root.
    ///   - name: Recipe name, a DNS-1123 label.
    ///   - version: Recipe version, an image tag.
    ///   - target: VM or pod image.
    ///   - architecture: The image's architecture.
    /// - Throws: ``PipelineError/unsafeOutputName(name:version:)`` when either could leave `root` or break a line
    ///   (`..`, `/`, a newline): checked here, where they become a path, whoever called.
    public init(root: String, name: String, version: String, target: BuildTarget = .vm, architecture: Architecture = .amd64) throws {
        let kind = try Self.kindDirectory(root: root, name: name, version: version, target: target)
        directory = architecture == .amd64 ? kind : kind + "/" + architecture.rawValue
    }

    /// `<root>/<name>/<version>`, or its `container` subdirectory for a pod image.
    static func kindDirectory(root: String, name: String, version: String, target: BuildTarget) throws -> String {
        guard DNSLabel.isValid(name), ImageVersion.isValid(version) else { throw PipelineError.unsafeOutputName(name: name, version: version) }
        let url = URL(fileURLWithPath: root).standardizedFileURL.appendingPathComponent(name).appendingPathComponent(version)
        return (target == .container ? url.appendingPathComponent(Self.podDirectoryName) : url).path
    }

    /// The multi-architecture OCI layout of `name` `version` (one image index over each architecture's manifest):
    /// `<root>/<name>/<version>/oci-index`, or under `container/` for a pod image.
    /// - Throws: ``PipelineError/unsafeOutputName(name:version:)``.
    static func indexLayout(root: String, name: String, version: String, target: BuildTarget) throws -> String {
        try kindDirectory(root: root, name: name, version: version, target: target) + "/oci-index"
    }

    /// The final disk.
    public var disk: String { directory + "/disk.qcow2" }
    /// The SPDX 2.3 SBOM read from the final disk.
    public var sbom: String { directory + "/sbom.spdx.json" }
    /// The containerDisk OCI layout.
    public var layout: String { directory + "/oci" }
    /// The Kubernetes manifests.
    public var manifests: String { directory + "/manifests" }
    /// The build log.
    public var log: String { directory + "/build.log" }
    /// The serial console of the verification boot.
    public var console: String { directory + "/console.log" }
    /// The verification report.
    public var verification: String { directory + "/verification.json" }
    /// The summary.
    public var summary: String { directory + "/summary.json" }
    /// Held while the image builds (concurrent runs of the same image wait).
    public var lock: String { directory + "/.lock" }

    /// The previous run's summary, if readable.
    func previousSummary() -> BuildSummary? {
        guard let data = FileManager.default.contents(atPath: summary) else { return nil }
        return try? JSONDecoder().decode(BuildSummary.self, from: data)
    }

    /// Writes the summary under a temp name, renamed into place.
    func write(_ summary: BuildSummary) throws {
        try Self.writeRecord(summary, to: self.summary)
    }

    /// Writes a build record (an image's summary, an index's) as sorted, indented JSON, atomically: the one format of
    /// the records a later run reads to decide what is unchanged.
    /// - Parameters:
    ///   - record: The record.
    ///   - path: Where it goes.
    /// - Throws: Encoding or write errors.
    static func writeRecord(_ record: some Encodable, to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try AtomicFile.write(try encoder.encode(record) + Data("\n".utf8), to: path)
    }
}
