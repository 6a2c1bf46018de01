// Free TCP ports on 127.0.0.1 for qemu's user-mode network forwards, and connections to them.
#if canImport(Glibc)
import Glibc
#endif

/// Reserves free loopback TCP ports by letting the kernel pick them.
public enum LoopbackPorts {
    /// Returns `count` distinct ports that were free a moment ago (bound to port 0, read back, closed).
    ///
    /// There is a short window before qemu binds them; a clash shows up as qemu failing to start with
    /// "Could not set up host forwarding rule", which ``QemuGuest`` answers by picking new ports.
    /// - Parameter count: How many ports.
    /// - Returns: Distinct port numbers.
    /// - Throws: ``VerifyError/noFreePort(_:)``.
    public static func free(_ count: Int) throws -> [Int] {
        var sockets: [Int32] = []
        defer { for fd in sockets { close(fd) } }
        var ports: [Int] = []
        for _ in 0..<count {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { throw VerifyError.noFreePort("socket: \(String(cString: strerror(errno)))") }
            sockets.append(fd)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = 0
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard bound == 0 else { throw VerifyError.noFreePort("bind: \(String(cString: strerror(errno)))") }
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let named = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
            }
            guard named == 0 else { throw VerifyError.noFreePort("getsockname: \(String(cString: strerror(errno)))") }
            ports.append(Int(UInt16(bigEndian: address.sin_port)))
        }
        return ports
    }

    /// A TCP connection to 127.0.0.1:`port`: its descriptor, for the caller to close, or nil when nothing accepts there.
    /// - Parameter port: The port.
    /// - Returns: The connected socket, or nil.
    static func connect(to port: Int) -> Int32? {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return nil }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        guard connected else {
            close(descriptor)
            return nil
        }
        return descriptor
    }
}
