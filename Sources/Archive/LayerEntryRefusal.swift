// Why one entry of a container image layer is refused before anything of it reaches the disk.

/// What is wrong with a layer entry. Each case is something a layer labforge writes never holds and that a hostile
/// layer uses to write outside the image's root or to give the container more than files.
public enum LayerEntryRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    /// The name starts with `/`.
    case absolutePath
    /// A component of the name is `..`.
    case parentReference
    /// A directory on the way to the entry is a symbolic link an earlier entry or layer left.
    case throughSymlink(parent: String, target: String)
    /// A character or block device node.
    case deviceNode(kind: String)
    /// A FIFO or socket (labforge's layers hold files, directories and links only).
    case specialFile(kind: String)
    /// A hard link whose target name is absolute or climbs with `..`.
    case hardLinkOutside(target: String)
    /// A hard link whose target is not a regular file already in the image (a link, a directory, nothing).
    case hardLinkTarget(target: String, found: String)
    /// A regular file with the setuid or setgid bit.
    case setuid(mode: UInt32)
    /// An owner outside the ids the container's user namespace maps.
    case ownerOutOfRange(uid: Int64, gid: Int64, limit: Int64)
    /// A `.wh.` name the OCI layer spec does not define (`.wh..wh.` other than `.wh..wh..opq`, an empty name).
    case whiteoutName(String)
    /// The same path written twice in one layer.
    case duplicate
    /// The name is not UTF-8 (labforge writes UTF-8 names) or is missing.
    case unreadableName

    public var description: String {
        switch self {
        case .absolutePath:
            return "it is an absolute path; layer entries are relative to the image's root"
        case .parentReference:
            return "it climbs out of the image with '..'"
        case .throughSymlink(let parent, let target):
            return "its parent \(parent) is a symbolic link (to \(target)); nothing is written through a link"
        case .deviceNode(let kind):
            return "it is a \(kind) device node; a pod lab gets its /dev from the runtime"
        case .specialFile(let kind):
            return "it is a \(kind); labforge's layers hold regular files, directories and links only"
        case .hardLinkOutside(let target):
            return "it is a hard link to \(target), outside the image"
        case .hardLinkTarget(let target, let found):
            return "it is a hard link to \(target), which is \(found), not a regular file of the image"
        case .setuid(let mode):
            return "it has the setuid/setgid bit (mode \(String(mode, radix: 8))); labforge's build removes every one, a pod lab never gains privileges"
        case .ownerOutOfRange(let uid, let gid, let limit):
            return "its owner \(uid):\(gid) is outside 0–\(limit - 1), the ids the container's user namespace maps"
        case .whiteoutName(let name):
            return "\(name) is not a whiteout the OCI layer spec defines (.wh.<name> or .wh..wh..opq)"
        case .duplicate:
            return "the layer writes this path twice"
        case .unreadableName:
            return "its name is missing or not UTF-8"
        }
    }
}
