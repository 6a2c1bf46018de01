// Packages a qcow2/raw disk as a KubeVirt containerDisk: an OCI image layout with one pax layer.
import Archive
import DiskImage
import Foundation
import Reporting
#if canImport(Glibc)
import Glibc
#endif

/// What to package and how.
public struct ContainerDiskOptions: Sendable {
    /// Repository name (recorded as the title).
    public var name: RepositoryName
    /// Tag written as `org.opencontainers.image.ref.name` in `index.json`.
    public var tag: Tag
    /// Layer compression.
    public var compression: LayerCompression
    /// Extra manifest annotations (`org.opencontainers.image.source`, `.revision`, …).
    public var annotations: [String: String]
    /// Default instancetype, written to the config's Env for CDI.
    public var instancetype: String?
    /// Default preference, written to the config's Env for CDI.
    public var preference: String?
    /// Names of the firmwares the disk claims to boot under (`uefi-secure-boot`, `bios`), in order: the config's
    /// ``AnnotationKey/firmware`` label and the manifest annotation of that name; empty for neither.
    public var firmware: [String]
    /// The guest's architecture in OCI's (GOARCH) names, `amd64` or `arm64`: the config's `architecture` and the platform
    /// of the layout's index entry. Always the architecture the disk was built for, never the host's.
    public var architecture: String
    /// Seconds since the epoch for every time field (tar mtimes, `created`).
    public var timestamp: Int64
    /// Replace an existing layout at the output path.
    public var force: Bool
    /// Accept a disk with neither a partition table nor a file system (a blank data disk is meant).
    public var allowBlank: Bool

    /// Creates options.
    public init(
        name: RepositoryName, tag: Tag, compression: LayerCompression = .gzip, annotations: [String: String] = [:],
        instancetype: String? = nil, preference: String? = nil, firmware: [String] = [], architecture: String = "amd64",
        timestamp: Int64 = ReproducibleTime.fromEnvironment(), force: Bool = false, allowBlank: Bool = false
    ) {
        self.allowBlank = allowBlank
        self.name = name
        self.tag = tag
        self.compression = compression
        self.annotations = annotations
        self.instancetype = instancetype
        self.preference = preference
        self.firmware = firmware
        self.architecture = architecture
        self.timestamp = timestamp
        self.force = force
    }
}

/// The result of packaging: where the layout is and what it holds.
public struct PackagedContainerDisk: Sendable, Codable, Equatable {
    /// The layout directory.
    public var layout: String
    /// Digest of the image manifest (what `@sha256:` references pin).
    public var manifestDigest: Digest
    /// Size of the manifest.
    public var manifestSize: Int64
    /// Digest of the config blob.
    public var configDigest: Digest
    /// Digest of the (compressed) layer blob.
    public var layerDigest: Digest
    /// sha256 of the uncompressed layer tar.
    public var diffID: Digest
    /// Size of the layer blob.
    public var layerSize: Int64
    /// Size of the uncompressed tar.
    public var uncompressedSize: Int64
    /// Size of the disk file.
    public var diskSize: Int64
    /// The disk's virtual size.
    public var virtualSize: Int64
    /// `qcow2` or `raw`.
    public var diskFormat: String
    /// Layer compression.
    public var compression: LayerCompression
    /// Wall time in seconds.
    public var seconds: Double
}

/// Writes containerDisk layouts. One pass over the disk yields the layer digest and the diff_id.
public struct ContainerDiskPacker: Sendable {
    /// The path of the disk inside the layer (KubeVirt takes the one file under `/disk`).
    public static let diskPath = "disk/disk.img"
    /// UID and GID of the `qemu` user KubeVirt runs as.
    public static let qemuID: Int64 = 107

    private let progress: ProgressReporter

    /// Creates a packer.
    /// - Parameter progress: Receives bytes read from the disk.
    public init(progress: ProgressReporter = SilentProgress()) {
        self.progress = progress
    }

    /// Checks the input, then writes the layout atomically.
    /// - Parameters:
    ///   - disk: A qcow2 or raw disk file.
    ///   - output: The layout directory to create (or replace with `force`).
    ///   - options: Name, tag, compression, metadata.
    /// - Returns: Digests and sizes.
    /// - Throws: ``ContainerDiskError`` before anything is written when the input or output is wrong.
    public func package(disk: String, into output: String, options: ContainerDiskOptions) throws -> PackagedContainerDisk {
        let started = Date()
        let info: DiskImageInfo
        do {
            info = try QemuImg.checkContainerDiskInput(disk, allowBlank: options.allowBlank)
        } catch let error as DiskImageError {
            throw ContainerDiskError.input(error)
        }
        try LayoutPlacement.checkOutput(output, force: options.force)

        return try LayoutPlacement.place(at: output) { placement in
            try write(disk: disk, info: info, placement: placement, options: options, started: started)
        }
    }

    private func write(
        disk: String, info: DiskImageInfo, placement: LayoutPlacement, options: ContainerDiskOptions, started: Date
    ) throws -> PackagedContainerDisk {
        let layer = try streamLayer(disk: disk, to: placement.partialLayer, options: options)

        let created = ReproducibleTime.rfc3339(options.timestamp)
        var environment: [String] = []
        if let instancetype = options.instancetype { environment.append("\(ContainerDiskEnvironment.defaultInstancetype)=\(instancetype)") }
        if let preference = options.preference { environment.append("\(ContainerDiskEnvironment.defaultPreference)=\(preference)") }
        let firmware = options.firmware.isEmpty ? nil : options.firmware.joined(separator: ",")
        let config = ImageConfig(
            created: created, architecture: options.architecture,
            config: ImageConfig.Execution(Env: environment.isEmpty ? nil : environment, Labels: firmware.map { [AnnotationKey.firmware: $0] }),
            rootfs: ImageConfig.RootFS(diffIDs: [layer.diffID]),
            history: [ImageConfig.History(created: created, created_by: "labforge package", comment: "KubeVirt containerDisk: \(Self.diskPath)")]
        )
        var annotations = options.annotations
        annotations[AnnotationKey.created] = created
        annotations[AnnotationKey.title] = options.name.value
        annotations[AnnotationKey.version] = options.tag.value
        annotations[AnnotationKey.diskVirtualSize] = String(info.virtualSize)
        annotations[AnnotationKey.diskFormat] = info.format
        if let firmware { annotations[AnnotationKey.firmware] = firmware }
        let layerDescriptor = Descriptor(mediaType: options.compression.mediaType, digest: layer.digest, size: layer.size)
        let (manifestDescriptor, configDescriptor) = try placement.writeImage(
            layer: layerDescriptor, config: config, annotations: annotations, tag: options.tag.value, architecture: options.architecture)

        return PackagedContainerDisk(
            layout: placement.output.path, manifestDigest: manifestDescriptor.digest, manifestSize: manifestDescriptor.size,
            configDigest: configDescriptor.digest, layerDigest: layer.digest, diffID: layer.diffID, layerSize: layer.size,
            uncompressedSize: layer.uncompressedSize, diskSize: layer.diskSize, virtualSize: info.virtualSize, diskFormat: info.format,
            compression: options.compression, seconds: Date().timeIntervalSince(started)
        )
    }

    private struct StreamedLayer {
        var digest: Digest
        var diffID: Digest
        var size: Int64
        var uncompressedSize: Int64
        var diskSize: Int64
    }

    /// tar (pax) → diff_id hash → compressor → digest hash → file, in one pass over the disk.
    private func streamLayer(disk: String, to path: String, options: ContainerDiskOptions) throws -> StreamedLayer {
        let descriptor = open(disk, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw ContainerDiskError.readFailed(path: disk, message: String(cString: strerror(errno))) }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw ContainerDiskError.readFailed(path: disk, message: String(cString: strerror(errno))) }
        let diskSize = Int64(status.st_size)
        _ = posix_fadvise(descriptor, 0, 0, POSIX_FADV_SEQUENTIAL)

        // The layer is the disk: not readable by other users (FileAccess), like the disk file itself.
        let file = try FileSink(path: path, mode: FileAccess.diskFileMode)
        let compressed = DigestingSink(downstream: file)
        let (entry, uncompressed) = try options.compression.stages(into: compressed)
        let tar = try PaxStreamWriter(sink: entry)

        let owner = (uid: Self.qemuID, gid: Self.qemuID, user: "qemu", group: "qemu")
        try tar.begin(TarEntry(
            path: "disk/", kind: .directory, mode: 0o555, uid: owner.uid, gid: owner.gid, userName: owner.user,
            groupName: owner.group, modificationTime: options.timestamp
        ))
        try tar.begin(TarEntry(
            path: Self.diskPath, kind: .file(size: diskSize), mode: 0o444, uid: owner.uid, gid: owner.gid,
            userName: owner.user, groupName: owner.group, modificationTime: options.timestamp
        ))
        let chunk = 1 << 20
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 4096)
        defer { buffer.deallocate() }
        var total: Int64 = 0
        let subject = URL(fileURLWithPath: disk).lastPathComponent
        while total < diskSize {
            let count = read(descriptor, buffer.baseAddress!, min(chunk, Int(diskSize - total)))
            if count < 0 {
                if errno == EINTR { continue }
                throw ContainerDiskError.readFailed(path: disk, message: String(cString: strerror(errno)))
            }
            if count == 0 { break }
            try tar.writeData(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
            total += Int64(count)
            progress.report(ProgressEvent(subject: subject, stage: "package", completed: total, total: diskSize))
        }
        guard total == diskSize else { throw ContainerDiskError.diskChanged(path: disk, expected: diskSize, read: total) }
        do {
            try tar.finish()
        } catch let error as ArchiveError {
            throw ContainerDiskError.writeFailed(path: path, message: error.description)
        }
        progress.report(ProgressEvent(subject: subject, stage: "package", completed: total, total: diskSize, finished: true))
        guard let digest = compressed.digest else { throw ContainerDiskError.writeFailed(path: path, message: "layer was not finished") }
        let diffID = uncompressed?.digest ?? digest
        return StreamedLayer(
            digest: digest, diffID: diffID, size: compressed.count, uncompressedSize: uncompressed?.count ?? compressed.count,
            diskSize: diskSize
        )
    }
}
