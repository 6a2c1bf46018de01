// `verify --image`: what a layout may hold to be unpacked, the unpacking, and the root the runtime mounts into.
import Archive
import Foundation
import OCI
#if canImport(Glibc)
import Glibc
#endif

/// One layer blob of the image, as the manifest describes it.
struct LayerBlob: Sendable, Equatable {
    /// The blob's file in the layout.
    var path: String
    /// The descriptor's digest; errors name the layer by it.
    var digest: Digest
    /// From the media type.
    var compression: LayerStreamCompression
}

extension ImageVerifier {
    /// More layers than any runtime's overlay stacks (labforge writes one).
    static let maximumLayers = 128

    /// The manifest's layers, refused when the layout is not one labforge could have written: an OCI layer media type
    /// other than tar, tar+gzip and tar+zstd, more than ``maximumLayers`` layers, a blob missing or of another size
    /// than its descriptor says.
    static func layerBlobs(_ manifest: ImageManifest, in layout: ImageLayout, path: String) throws -> [LayerBlob] {
        guard manifest.layers.count <= maximumLayers else {
            throw VerifyError.unusableImage(path: path, message: "\(manifest.layers.count) layers, more than \(maximumLayers) (labforge writes one)")
        }
        return try manifest.layers.map { descriptor in
            let compression: LayerStreamCompression
            switch descriptor.mediaType {
            case MediaType.layerTar: compression = .none
            case MediaType.layerTarGzip: compression = .gzip
            case MediaType.layerTarZstd: compression = .zstd
            default:
                throw VerifyError.unusableImage(
                    path: path, message: "layer \(descriptor.digest) has media type \(descriptor.mediaType); a pod lab layer is an OCI tar, tar+gzip or tar+zstd")
            }
            let blob = layout.blobPath(descriptor.digest)
            var info = stat()
            guard lstat(blob, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
                throw VerifyError.unusableImage(path: path, message: "layer \(descriptor.digest): \(blob) is missing or not a regular file")
            }
            guard Int64(info.st_size) == descriptor.size else {
                throw VerifyError.unusableImage(path: path, message: "layer \(descriptor.digest): \(blob) is \(info.st_size) bytes, its descriptor says \(descriptor.size)")
            }
            return LayerBlob(path: blob, digest: descriptor.digest, compression: compression)
        }
    }

    /// The image's `Env` as a runtime takes it: `NAME=value` with a shell variable name and no newline (the start
    /// script hands it over one line per variable).
    static func checkEnvironment(_ environment: [String], path: String) throws {
        for variable in environment {
            let name = variable.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
            let valid = variable.contains("=") && !name.isEmpty && !(name.first!.isNumber) && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
            guard valid, !variable.contains("\n"), !variable.contains("\r") else {
                throw VerifyError.unusableImage(path: path, message: "its Env holds \(String(reflecting: variable)), not NAME=value on one line")
            }
        }
    }

    /// Extracts the layers in order into `rootfs`, owners shifted into ``ContainerIDMap``, each after its blob's
    /// SHA-256 was checked against its descriptor.
    /// - Throws: ``VerifyError/unusableImage(path:message:)`` with the layer, the entry and why it was refused.
    static func unpack(_ layers: [LayerBlob], into rootfs: String, path: String) throws -> Int {
        do {
            let extractor = try LayerExtractor(
                root: rootfs, idShift: ContainerIDMap.base, idCount: ContainerIDMap.count, maxUnpackedBytes: unpackBudget(rootfs))
            var entries = 0
            var bytes: Int64 = 0
            for layer in layers {
                try checkDigest(layer, path: path)
                let facts = try extractor.extract(blob: layer.path, layer: "\(layer.digest)", compression: layer.compression, unpackedBefore: bytes)
                entries += facts.entries
                bytes += facts.bytes
            }
            return entries
        } catch let error as LayerExtractionError {
            throw VerifyError.unusableImage(path: path, message: error.description)
        }
    }

    /// What the layers may write: the free space of the scratch file system less 1 GiB for the container's own
    /// writes and everyone else on the machine (a layer that decompresses to more is refused, not left to fill /tmp).
    static func unpackBudget(_ directory: String) -> Int64 {
        var info = statvfs()
        guard statvfs(directory, &info) == 0 else { return .max }
        let free = Int64(info.f_bavail).multipliedReportingOverflow(by: Int64(info.f_frsize))
        return free.overflow ? .max : max(0, free.partialValue - (1 << 30))
    }

    /// Hashes the blob as it is read (1 MiB at a time) and refuses one whose bytes are not its digest's.
    static func checkDigest(_ layer: LayerBlob, path: String) throws {
        let descriptor = open(layer.path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard descriptor >= 0 else {
            throw VerifyError.unusableImage(path: path, message: "layer \(layer.digest): cannot read \(layer.path): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        let hasher = DigestingSink(downstream: nil)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 4096)
        defer { buffer.deallocate() }
        while true {
            let count = read(descriptor, buffer.baseAddress, buffer.count)
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else {
                throw VerifyError.unusableImage(path: path, message: "layer \(layer.digest): reading \(layer.path): \(String(cString: strerror(errno)))")
            }
            if count == 0 { break }
            try hasher.write(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        }
        try hasher.finish()
        guard let digest = hasher.digest, digest == layer.digest else {
            throw VerifyError.unusableImage(path: path, message: "layer \(layer.digest): the blob's bytes hash to \(hasher.digest.map { "\($0)" } ?? "nothing"), not its digest")
        }
    }

    /// Makes sure what the runtime mounts over (`/proc`, `/dev`, every directory of `mountPoint`) is a directory of
    /// the image, not a link: the start script mounts onto these paths before it enters the root, so a link would
    /// take the mount (and the `mkdir` before it) outside. Missing ones are made, owned by the container's root.
    /// - Throws: ``VerifyError/unusableImage(path:message:)`` naming the path.
    static func prepareMountPoints(rootfs: String, mountPoint: String, path: String) throws {
        var paths = ["proc", "dev"]
        var prefix = ""
        for component in mountPoint.split(separator: "/") {
            prefix = prefix.isEmpty ? String(component) : prefix + "/" + component
            paths.append(prefix)
        }
        for relative in paths {
            let full = rootfs + "/" + relative
            var info = stat()
            if lstat(full, &info) != 0 {
                guard mkdir(full, 0o755) == 0, chown(full, uid_t(ContainerIDMap.base), gid_t(ContainerIDMap.base)) == 0 else {
                    throw VerifyError.containerStart("cannot make /\(relative) in \(rootfs): \(String(cString: strerror(errno)))")
                }
                continue
            }
            let kind = info.st_mode & S_IFMT
            guard kind == S_IFDIR else {
                let what = kind == S_IFLNK ? "a symbolic link (to \((try? FileManager.default.destinationOfSymbolicLink(atPath: full)) ?? "?"))" : "not a directory"
                throw VerifyError.unusableImage(path: path, message: "its /\(relative) is \(what); the runtime mounts over it, so it must be a directory")
            }
        }
    }
}
