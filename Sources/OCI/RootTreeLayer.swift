// Streams a host root tree into one reproducible OCI layer: pax tar → diff_id → compressor → digest → file, in one pass.
import Archive
import Foundation
import Reporting
#if canImport(Glibc)
import Glibc
#endif

/// What went into a layer written from a tree.
public struct RootTreeLayerFacts: Sendable, Equatable, Codable {
    /// Digest of the (compressed) blob.
    public var digest: Digest
    /// sha256 of the uncompressed tar.
    public var diffID: Digest
    /// Size of the blob.
    public var size: Int64
    /// Size of the uncompressed tar.
    public var uncompressedSize: Int64
    /// Entries written (files, directories, links).
    public var entries: Int
    /// Device nodes, FIFOs and sockets left out (the runtime provides /dev).
    public var skippedSpecialFiles: Int
    /// Files whose setuid/setgid bits the writer removed (the build's hardening should have left none).
    public var strippedSetuid: [String]
}

/// Writes a directory tree as an OCI layer.
///
/// Reproducible: entries in byte order of their names, numeric owners only (no host name lookups), every
/// modification time clamped to `timestamp` (`SOURCE_DATE_EPOCH`), no extended attributes (file capabilities are
/// dropped with the setuid bits: a pod lab gains no privileges), hard links kept as links. The contents of
/// `/dev`, `/proc` and `/sys` are left out (the runtime mounts them); their directories stay.
public struct RootTreeLayer: Sendable {
    /// The tree on the host.
    public var root: String
    /// Layer compression.
    public var compression: LayerCompression
    /// Seconds since the epoch: the latest modification time written.
    public var timestamp: Int64
    private let progress: any ProgressReporter

    /// Directories whose contents are not shipped.
    static let runtimeDirectories: Set<String> = ["dev", "proc", "sys"]

    /// Creates a writer.
    /// - Parameters:
    ///   - root: The tree's directory.
    ///   - compression: Layer compression.
    ///   - timestamp: Clamp for modification times.
    ///   - progress: Receives bytes written.
    public init(root: String, compression: LayerCompression, timestamp: Int64, progress: any ProgressReporter = SilentProgress()) {
        self.root = root
        self.compression = compression
        self.timestamp = timestamp
        self.progress = progress
    }

    /// Writes the layer blob to `path`.
    /// - Parameter path: Where the blob goes (renamed by the caller).
    /// - Returns: Digests, sizes and counts.
    /// - Throws: ``ContainerDiskError/readFailed(path:message:)``, ``ContainerDiskError/writeFailed(path:message:)``.
    public func write(to path: String) throws -> RootTreeLayerFacts {
        let file = try FileSink(path: path, mode: 0o644)
        let compressed = DigestingSink(downstream: file)
        let (entry, uncompressed) = try compression.stages(into: compressed)
        let tar = try PaxStreamWriter(sink: entry)
        var state = WalkState()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 4096)
        defer { buffer.deallocate() }
        do {
            try walk(relative: "", tar: tar, state: &state, buffer: buffer)
            try tar.finish()
        } catch let error as ArchiveError {
            throw ContainerDiskError.writeFailed(path: path, message: error.description)
        }
        progress.report(ProgressEvent(subject: URL(fileURLWithPath: root).lastPathComponent, stage: "layer", completed: state.bytes, total: state.bytes, finished: true))
        guard let digest = compressed.digest else { throw ContainerDiskError.writeFailed(path: path, message: "layer was not finished") }
        return RootTreeLayerFacts(
            digest: digest, diffID: uncompressed?.digest ?? digest, size: compressed.count,
            uncompressedSize: uncompressed?.count ?? compressed.count, entries: state.entries,
            skippedSpecialFiles: state.skipped, strippedSetuid: state.stripped)
    }

    private struct WalkState {
        var entries = 0
        var skipped = 0
        var bytes: Int64 = 0
        var stripped: [String] = []
        /// (device, inode) → the first path written for it.
        var links: [String: String] = [:]
    }

    private func walk(relative: String, tar: PaxStreamWriter, state: inout WalkState, buffer: UnsafeMutableRawBufferPointer) throws {
        let directory = relative.isEmpty ? root : root + "/" + relative
        guard let handle = opendir(directory) else { throw ContainerDiskError.readFailed(path: directory, message: String(cString: strerror(errno))) }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { names.append(name) }
        }
        closedir(handle)
        // Byte order, independent of locale and of the filesystem's directory order.
        names.sort { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        for name in names {
            let path = relative.isEmpty ? name : relative + "/" + name
            let host = root + "/" + path
            var info = stat()
            guard lstat(host, &info) == 0 else { throw ContainerDiskError.readFailed(path: host, message: String(cString: strerror(errno))) }
            let type = info.st_mode & S_IFMT
            var mode = Int32(info.st_mode & 0o7777)
            let mtime = min(Int64(info.st_mtim.tv_sec), timestamp)
            let (uid, gid) = (Int64(info.st_uid), Int64(info.st_gid))
            switch type {
            case S_IFDIR:
                try tar.begin(TarEntry(path: path + "/", kind: .directory, mode: mode, uid: uid, gid: gid, modificationTime: mtime))
                state.entries += 1
                if relative.isEmpty && Self.runtimeDirectories.contains(name) { continue }
                try walk(relative: path, tar: tar, state: &state, buffer: buffer)
            case S_IFLNK:
                var target = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
                let count = readlink(host, &target, Int(PATH_MAX))
                guard count >= 0 else { throw ContainerDiskError.readFailed(path: host, message: String(cString: strerror(errno))) }
                let text = String(decoding: target.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
                try tar.begin(TarEntry(path: path, kind: .symlink(target: text), mode: 0o777, uid: uid, gid: gid, modificationTime: mtime))
                state.entries += 1
            case S_IFREG:
                if mode & 0o6000 != 0 {
                    mode &= ~0o6000
                    state.stripped.append("/" + path)
                }
                if info.st_nlink > 1 {
                    let key = "\(info.st_dev):\(info.st_ino)"
                    if let first = state.links[key] {
                        try tar.begin(TarEntry(path: path, kind: .hardlink(target: first), mode: mode, uid: uid, gid: gid, modificationTime: mtime))
                        state.entries += 1
                        continue
                    }
                    state.links[key] = path
                }
                try writeFile(host: host, path: path, size: Int64(info.st_size), mode: mode, uid: uid, gid: gid, mtime: mtime, tar: tar, state: &state, buffer: buffer)
            default:
                state.skipped += 1
            }
        }
    }

    private func writeFile(
        host: String, path: String, size: Int64, mode: Int32, uid: Int64, gid: Int64, mtime: Int64, tar: PaxStreamWriter,
        state: inout WalkState, buffer: UnsafeMutableRawBufferPointer
    ) throws {
        let descriptor = open(host, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard descriptor >= 0 else { throw ContainerDiskError.readFailed(path: host, message: String(cString: strerror(errno))) }
        defer { close(descriptor) }
        try tar.begin(TarEntry(path: path, kind: .file(size: size), mode: mode, uid: uid, gid: gid, modificationTime: mtime))
        var total: Int64 = 0
        while total < size {
            let count = read(descriptor, buffer.baseAddress!, min(buffer.count, Int(size - total)))
            if count < 0 {
                if errno == EINTR { continue }
                throw ContainerDiskError.readFailed(path: host, message: String(cString: strerror(errno)))
            }
            if count == 0 { break }
            try tar.writeData(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
            total += Int64(count)
        }
        guard total == size else { throw ContainerDiskError.diskChanged(path: host, expected: size, read: total) }
        state.entries += 1
        state.bytes += size
    }
}
