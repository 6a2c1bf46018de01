// The user namespace map of `verify --image`: the container's ids 0…65535 are host ids far above any real user's.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Where the container's users live on the host.
///
/// Container id `n` (0 ≤ n < ``count``) is host id ``base`` + n, for users and groups alike: the image's files are
/// extracted owned by the shifted ids and the container runs in a user namespace with this map, so its root is host
/// uid 1878982656, which owns nothing on the host, and its lab user (1000) is host uid 1878983656. The base is the
/// last 64 Ki block of systemd's container range (524288…1879048191, `systemd.io/UIDS-GIDS`), above the ranges
/// `useradd` gives out in /etc/subuid (100000…600100000 by default), so no host user's rootless containers share it.
enum ContainerIDMap {
    /// The host id of the container's id 0.
    static let base: Int64 = 0x6FFF_0000
    /// How many ids are mapped.
    static let count: Int64 = 65536

    /// The host id of a container id.
    static func host(_ id: Int) -> Int64 { base + Int64(id) }

    /// Writes the map of the user namespace `pid` is in (a root process in the parent namespace may map any range).
    /// - Parameter pid: A process that has just made the namespace and maps nothing yet.
    /// - Throws: ``VerifyError/containerStart(_:)`` naming the file that could not be written.
    static func writeMap(to pid: Int32) throws {
        let line = "0 \(base) \(count)\n"
        for file in ["uid_map", "gid_map"] {
            let path = "/proc/\(pid)/\(file)"
            let descriptor = open(path, O_WRONLY | O_CLOEXEC)
            guard descriptor >= 0 else { throw VerifyError.containerStart("cannot open \(path): \(String(cString: strerror(errno)))") }
            defer { close(descriptor) }
            let written = line.withCString { write(descriptor, $0, strlen($0)) }
            guard written == line.utf8.count else {
                throw VerifyError.containerStart("cannot write \"\(line.dropLast())\" to \(path): \(String(cString: strerror(errno)))")
            }
        }
    }
}
