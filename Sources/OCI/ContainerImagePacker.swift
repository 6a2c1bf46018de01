// Packages a root tree as a runnable OCI container image (a pod lab's image): one layer, config, manifest, layout.
import Foundation
import Reporting

/// What a container image runs and says about itself.
public struct ContainerImageOptions: Sendable {
    /// Repository name (the title annotation).
    public var name: RepositoryName
    /// Tag (`org.opencontainers.image.ref.name` in `index.json`, and the version annotation).
    public var tag: Tag
    /// Layer compression.
    public var compression: LayerCompression
    /// `uid:gid` the entrypoint runs as (numeric, so `runAsNonRoot` can check it).
    public var user: String
    /// TCP ports the agents listen on.
    public var exposedPorts: [Int]
    /// `KEY=value` environment.
    public var environment: [String]
    /// Working directory of the entrypoint.
    public var workingDirectory: String
    /// The init and its arguments.
    public var entrypoint: [String]
    /// Manifest annotations (source, revision, description, recipe fingerprint); also the config's labels.
    public var annotations: [String: String]
    /// The root tree's architecture in OCI's (GOARCH) names, `amd64` or `arm64`: the config's `architecture` and the
    /// platform of the layout's index entry. Always the architecture the tree was built for, never the host's.
    public var architecture: String
    /// Seconds since the epoch for every time field.
    public var timestamp: Int64
    /// Replace an existing layout at the output path.
    public var force: Bool

    /// Creates options.
    public init(
        name: RepositoryName, tag: Tag, compression: LayerCompression = .gzip, user: String, exposedPorts: [Int], environment: [String],
        workingDirectory: String, entrypoint: [String], annotations: [String: String] = [:], architecture: String = "amd64",
        timestamp: Int64 = ReproducibleTime.fromEnvironment(), force: Bool = false
    ) {
        self.name = name
        self.tag = tag
        self.compression = compression
        self.user = user
        self.exposedPorts = exposedPorts
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.entrypoint = entrypoint
        self.annotations = annotations
        self.architecture = architecture
        self.timestamp = timestamp
        self.force = force
    }
}

/// The result of packaging a tree.
public struct PackagedContainerImage: Sendable, Codable, Equatable {
    /// The layout directory.
    public var layout: String
    /// Digest of the image manifest.
    public var manifestDigest: Digest
    /// Digest of the config blob.
    public var configDigest: Digest
    /// The layer.
    public var layer: RootTreeLayerFacts
    /// Wall time in seconds.
    public var seconds: Double
}

/// Writes container image layouts from root trees, atomically (``LayoutPlacement``).
public struct ContainerImagePacker: Sendable {
    private let progress: any ProgressReporter

    /// Creates a packer.
    /// - Parameter progress: Receives layer bytes.
    public init(progress: any ProgressReporter = SilentProgress()) {
        self.progress = progress
    }

    /// Packs `tree` into a layout at `output`.
    /// - Parameters:
    ///   - tree: The root tree's directory.
    ///   - output: The layout directory (replaced only with `force`, and only when it is a layout).
    ///   - options: What the image runs and says.
    /// - Returns: Digests and sizes.
    /// - Throws: ``ContainerDiskError`` (the shared layout errors); nothing is left at `output` on failure.
    public func package(tree: String, into output: String, options: ContainerImageOptions) throws -> PackagedContainerImage {
        let started = Date()
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: tree, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ContainerDiskError.readFailed(path: tree, message: "not a directory")
        }
        try LayoutPlacement.checkOutput(output, force: options.force)
        return try LayoutPlacement.place(at: output) { placement in
            let layer = try RootTreeLayer(root: tree, compression: options.compression, timestamp: options.timestamp, progress: progress)
                .write(to: placement.partialLayer)
            let created = ReproducibleTime.rfc3339(options.timestamp)
            var annotations = options.annotations
            annotations[AnnotationKey.created] = created
            annotations[AnnotationKey.title] = options.name.value
            annotations[AnnotationKey.version] = options.tag.value
            let config = ImageConfig(
                created: created, architecture: options.architecture,
                config: ImageConfig.Execution(
                    User: options.user,
                    ExposedPorts: options.exposedPorts.isEmpty ? nil : Dictionary(uniqueKeysWithValues: options.exposedPorts.map { ("\($0)/tcp", ImageConfig.EmptyObject()) }),
                    Env: options.environment, Entrypoint: options.entrypoint, WorkingDir: options.workingDirectory,
                    Labels: annotations, StopSignal: "SIGTERM"),
                rootfs: ImageConfig.RootFS(diffIDs: [layer.diffID]),
                history: [ImageConfig.History(created: created, created_by: "labforge build --target container", comment: "root tree of \(options.name.value)")]
            )
            let layerDescriptor = Descriptor(mediaType: options.compression.mediaType, digest: layer.digest, size: layer.size)
            let (manifestDescriptor, configDescriptor) = try placement.writeImage(
                layer: layerDescriptor, config: config, annotations: annotations, tag: options.tag.value, architecture: options.architecture)
            return PackagedContainerImage(
                layout: placement.output.path, manifestDigest: manifestDescriptor.digest, configDigest: configDescriptor.digest, layer: layer,
                seconds: Date().timeIntervalSince(started))
        }
    }
}
