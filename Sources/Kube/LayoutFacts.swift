// What an OCI image layout written by `labforge package` (or a build's multi-architecture index) tells the manifests:
// digest, sizes, platforms, env, firmware, annotations.
import LabforgeRecipe
import OCI

/// Facts read from an image layout: the manifest digest, the disk's virtual size and format (from
/// labforge's manifest annotations), the platform, the CDI instancetype variables and the claimed firmware (from the config).
/// For a multi-architecture layout (its tag names an image index) the digest is the index's and the other facts are
/// those of one platform's image.
public struct LayoutFacts: Sendable, Hashable {
    /// The manifest digest, or the image index's for a multi-architecture layout (what `labforge push` pushes, so what
    /// the registry will serve).
    public var digest: Digest
    /// Of a multi-architecture layout: the chosen platform's manifest digest inside the index; nil otherwise.
    public var platformDigest: Digest?
    /// The tag in the layout's index, when there is one.
    public var tag: String?
    /// (Index +) manifest + config + layers, in bytes: what a pull of the chosen platform transfers.
    public var compressedSize: Int64
    /// `dev.labforge.disk.virtual-size`, when annotated.
    public var diskVirtualSize: Int64?
    /// `dev.labforge.disk.format`, when annotated.
    public var diskFormat: String?
    /// Architecture from the chosen image's config.
    public var architecture: String
    /// The architectures of the index's platforms in index order; `[architecture]` for a single-architecture layout.
    public var architectures: [String]
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
    ///   - architecture: The platform whose image to read from a multi-architecture layout, or nil for the index's
    ///     first (amd64 when it has one); a single-architecture layout's one image is read whatever it says.
    /// - Throws: ``OCIError`` when the layout is missing, damaged or ambiguous; ``KubeError/invalidSetting(name:value:reason:)``
    ///   when its firmware label names an unknown firmware or the index has no image for `architecture`.
    public init(layoutPath path: String, tag: String? = nil, architecture: String? = nil) throws {
        let layout = try ImageLayout(path: path)
        let top = try layout.manifestDescriptor(tag: tag)
        let images = try layout.platformImages(tag: tag)
        let platforms = images.map(\.config.architecture)
        let wanted = architecture ?? (platforms.contains("amd64") ? "amd64" : platforms.first)
        guard let image = images.count == 1 ? images.first : images.first(where: { $0.config.architecture == wanted }) else {
            throw KubeError.invalidSetting(
                name: "--arch", value: wanted ?? "(none)",
                reason: "the image index of \(path) holds \(platforms.isEmpty ? "no image" : platforms.joined(separator: ", ")); pass one of them")
        }
        let manifest = image.manifest
        let config = image.config
        digest = top.digest
        self.tag = top.annotations?[AnnotationKey.refName]
        let indexSize = MediaType.isIndex(top.mediaType) ? top.size : 0
        compressedSize = indexSize + image.descriptor.size + manifest.config.size + manifest.layers.reduce(0) { $0 + $1.size }
        annotations = manifest.annotations ?? [:]
        diskVirtualSize = annotations[AnnotationKey.diskVirtualSize].flatMap { Int64($0) }
        diskFormat = annotations[AnnotationKey.diskFormat]
        self.architecture = config.architecture
        architectures = MediaType.isIndex(top.mediaType) ? platforms : [config.architecture]
        platformDigest = MediaType.isIndex(top.mediaType) ? image.descriptor.digest : nil
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
    /// Whether the lab powers itself off (`dev.labforge.lab.stops-itself: true`, from a recipe's `LabLifetime`).
    public var stopsItself: Bool { annotations[AnnotationKey.labStopsItself] == "true" }
    /// The serial of the disk the image mounts on `/home` (`dev.labforge.lab.home-disk`, from a recipe's
    /// `PersistentHome`); nil when it mounts none.
    public var homeDiskSerial: String? { annotations[AnnotationKey.labHomeDisk] }
}
