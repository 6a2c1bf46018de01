// Errors about disk image files, each naming the file and the rule it breaks.

/// A disk image that cannot be used, or a qemu-img failure.
public enum DiskImageError: Error, CustomStringConvertible, Sendable, Equatable {
    /// A required host program is not installed.
    case toolMissing(String)
    /// The file does not exist.
    case notFound(path: String)
    /// The file exists but cannot be read.
    case notReadable(path: String)
    /// A directory or device where a disk image file was expected.
    case notARegularFile(path: String)
    /// qemu-img could not read it.
    case unreadableImage(path: String, message: String)
    /// A format KubeVirt does not boot from a containerDisk.
    case unsupportedFormat(path: String, format: String)
    /// The image has a backing file (KubeVirt refuses it).
    case hasBackingFile(path: String, backing: String)
    /// A base disk that reads another host file: a backing file, an external data file or a VMDK extent.
    case baseReadsHostFile(path: String, file: String)
    /// A disk whose contents are another format than the one declared for it.
    case formatMismatch(path: String, declared: String, actual: String)
    /// A cache or output directory that cannot be created or made private.
    case directoryUnusable(path: String, reason: String)
    /// The image is encrypted (KubeVirt cannot open it).
    case encrypted(path: String)
    /// `qemu-img check` found errors.
    case corrupt(path: String, message: String)
    /// A file whose name says one disk format (`.qcow2`, `.vmdk`, …) but whose bytes are something else.
    case contentMismatch(path: String, named: String, content: String)
    /// A file that is not a disk image at all (text, an archive, compressed data).
    case notADiskImage(path: String, content: String)
    /// A raw image whose size is not a whole number of 512-byte sectors.
    case rawSizeNotSectorMultiple(path: String, size: Int64)
    /// A disk with neither a partition table nor a file system.
    case blank(path: String)
    /// A cache or output lock file could not be opened or locked.
    case lockFailed(path: String, reason: String)
    /// A qemu-img command failed.
    case commandFailed(command: String, status: Int32, message: String)

    public var description: String {
        switch self {
        case .toolMissing(let tool):
            return "\(tool) is not installed; run `make deps` (or apt-get install the package that provides it)"
        case .notFound(let path):
            return "\(path): no such file"
        case .notReadable(let path):
            return "\(path): not readable by this user"
        case .notARegularFile(let path):
            return "\(path): not a regular file (a disk image file is needed)"
        case .unreadableImage(let path, let message):
            return "\(path): qemu-img cannot read it: \(message)"
        case .unsupportedFormat(let path, let format):
            return "\(path): format \(format) is not accepted by KubeVirt containerDisks (qcow2 or raw only); convert it with `qemu-img convert -O qcow2 \(path) disk.qcow2`"
        case .hasBackingFile(let path, let backing):
            return "\(path): has backing file \(backing); KubeVirt refuses it — flatten it with `qemu-img convert -O qcow2 \(path) flat.qcow2`"
        case .baseReadsHostFile(let path, let file):
            return "\(path): refusing this base disk: it reads the host file \(file) (backing file, data file or extent), "
                + "which would be copied into the image; flatten it with `qemu-img convert -O qcow2 \(path) flat.qcow2` and use flat.qcow2"
        case .formatMismatch(let path, let declared, let actual):
            return "\(path): declared \(declared) but qemu-img reads it as \(actual); declare the right format (or convert it to \(declared))"
        case .directoryUnusable(let path, let reason):
            return "\(path): cannot create or restrict this directory (\(reason)); check its owner and permissions or choose another with --cache-dir"
        case .encrypted(let path):
            return "\(path): is encrypted; KubeVirt cannot boot an encrypted containerDisk"
        case .corrupt(let path, let message):
            return "\(path): qemu-img check found errors: \(message)"
        case .contentMismatch(let path, let named, let content):
            return "\(path): named as a \(named) image but its content is \(content); refusing it "
                + "(a failed download saved under a disk's name?): fetch it again or give the file its real name"
        case .notADiskImage(let path, let content):
            return "\(path): not a disk image: its content is \(content)"
        case .rawSizeNotSectorMultiple(let path, let size):
            return "\(path): a raw disk image must be a whole number of 512-byte sectors, but this file has \(size) bytes "
                + "(\(size % 512) left over); it is truncated or not a disk image"
        case .blank(let path):
            return "\(path): has neither a partition table nor a file system (a blank disk); "
                + "pass --allow-blank if a blank data disk is really meant"
        case .lockFailed(let path, let reason):
            return "\(path): cannot lock it (\(reason)); check the cache directory's owner and permissions or choose another with --cache-dir"
        case .commandFailed(let command, let status, let message):
            return "`\(command)` failed with status \(status): \(message)"
        }
    }
}
