// What an OCI image layout written by `labforge package` tells the manifests: digest, sizes, env, firmware, annotations.
import LabforgeRecipe
import OCI

/// Facts read from an image layout: the manifest digest, the disk's virtual size and format (from
/// labforge's manifest annotations), the platform, the CDI instancetype variables and the claimed firmware (from the config).
public struct LayoutFacts: Sendable, Hashable {
    /// The manifest digest (what `labforge push` pushes, so what the registry will serve).
    public var digest: Digest
    /// The tag in the layout's index, when there is one.
    public var tag: String?
    /// Manifest + config + layers, in bytes: what a pull transfers.
    public var compressedSize: Int64
    /// `dev.labforge.disk.virtual-size`, when annotated.
    public var diskVirtualSize: Int64?
    /// `dev.labforge.disk.format`, when annotated.
    public var diskFormat: String?
    /// Architecture from the config.
    public var architecture: String
    /// Default instancetype from the config's environment.
    public var instancetype: String?
    /// Default preference from the config's environment.
    public var preference: String?
    /// The firmwares the disk claims to boot under: the config's `dev.labforge.firmware` label (else the manifest
    /// annotation of that name); nil when the layout has neither.
    public var firmware: [Firmware]?
    /// `org.opencontainers.image.*` annotations of the manifest.
    public var annotations: [String: String]

    /// Reads a layout.
    /// - Parameters:
    ///   - path: The layout directory.
    ///   - tag: The tag to pick, or nil when the layout holds one image.
    /// - Throws: ``OCIError`` when the layout is missing, damaged or ambiguous; ``KubeError/invalidSetting(name:value:reason:)``
    ///   when its firmware label names an unknown firmware.
    public init(layoutPath path: String, tag: String? = nil) throws {
        let layout = try ImageLayout(path: path)
        let (descriptor, _, manifest) = try layout.manifest(tag: tag)
        let config = try layout.config(of: manifest)
        digest = descriptor.digest
        self.tag = descriptor.annotations?[AnnotationKey.refName]
        compressedSize = descriptor.size + manifest.config.size + manifest.layers.reduce(0) { $0 + $1.size }
        annotations = manifest.annotations ?? [:]
        diskVirtualSize = annotations[AnnotationKey.diskVirtualSize].flatMap { Int64($0) }
        diskFormat = annotations[AnnotationKey.diskFormat]
        architecture = config.architecture
        var environment: [String: String] = [:]
        for entry in config.config?.Env ?? [] {
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            if parts.count == 2 { environment[parts[0]] = parts[1] }
        }
        instancetype = environment[ContainerDiskEnvironment.defaultInstancetype]
        preference = environment[ContainerDiskEnvironment.defaultPreference]
        if let label = config.config?.Labels?[AnnotationKey.firmware] ?? annotations[AnnotationKey.firmware] {
            guard let claimed = Firmware.list(label) else {
                throw KubeError.invalidSetting(
                    name: "\(AnnotationKey.firmware) label of \(path)", value: label,
                    reason: "expected a comma-separated list of \(Firmware.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            firmware = claimed
        }
    }

    /// Image version from `org.opencontainers.image.version`.
    public var version: String? { annotations[AnnotationKey.version] }
    /// Title from `org.opencontainers.image.title`.
    public var title: String? { annotations[AnnotationKey.title] }
    /// Description from `org.opencontainers.image.description`.
    public var summary: String? { annotations[AnnotationKey.description] }
    /// Build time from `org.opencontainers.image.created`.
    public var created: String? { annotations[AnnotationKey.created] }
}
