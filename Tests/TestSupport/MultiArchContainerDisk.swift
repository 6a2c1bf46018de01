// A multi-architecture containerDisk for tests: two small real qcow2 disks packed for amd64 and arm64, and the
// image index layout over them.
import Foundation
import OCI

/// Two per-architecture containerDisk layouts and the multi-architecture layout made from them.
public struct MultiArchContainerDisk: Sendable {
    /// The disk packed for each architecture (`amd64`, `arm64`), each with its own random bytes.
    public var disks: [String: String]
    /// The per-architecture packings, by architecture.
    public var packed: [String: PackagedContainerDisk]
    /// The multi-architecture layout.
    public var index: PackagedImageIndex
    /// The tag of every layout.
    public var tag: String

    /// Packs a disk per architecture into `<directory>/<arch>` and writes the index layout at `<directory>/multi`.
    /// - Parameters:
    ///   - directory: Where the disks and layouts go.
    ///   - tag: The tag of the layouts.
    /// - Returns: What was written.
    /// - Throws: When qemu-img, the packer or the index writer fails.
    public static func write(in directory: TemporaryDirectory, tag: String = "1.0") async throws -> MultiArchContainerDisk {
        var disks: [String: String] = [:]
        var packed: [String: PackagedContainerDisk] = [:]
        for architecture in ["amd64", "arm64"] {
            let disk = directory.appending("\(architecture).qcow2")
            try await DiskFixtures.makeQcow2(at: disk, virtualSize: "96M", randomMiB: 1)
            disks[architecture] = disk
            packed[architecture] = try ContainerDiskPacker().package(
                disk: disk, into: directory.appending(architecture),
                options: ContainerDiskOptions(
                    name: try RepositoryName("labs/multi"), tag: try Tag(tag), firmware: architecture == "arm64" ? ["uefi"] : ["uefi", "bios"],
                    architecture: architecture, timestamp: 1_764_115_200))
        }
        // arm64 given first: the index orders platforms itself.
        let index = try MultiArchLayout.write(
            images: [directory.appending("arm64"), directory.appending("amd64")], into: directory.appending("multi"), tag: try Tag(tag),
            annotations: [AnnotationKey.version: tag])
        return MultiArchContainerDisk(disks: disks, packed: packed, index: index, tag: tag)
    }
}
