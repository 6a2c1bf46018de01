// Forwards a loopback port on the host to a port inside another network namespace, like qemu's hostfwd for a VM.
import CLinux
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Listens on 127.0.0.1:`hostPort` in the host's network namespace and relays each connection to
/// 127.0.0.1:`port` inside the namespace open at `namespacePath` (`/proc/PID/ns/net`).
///
/// The listening socket is made first; then its accept thread enters the other namespace (`setns` moves only
/// the calling thread), so each connection's upstream socket is made there while the listener stays on the
/// host. No tool inside the image and no extra program on the host is needed.
final class NamespacePortForward: @unchecked Sendable {
    /// The host port.
    let hostPort: Int
    /// The port in the namespace.
    let port: Int
    private let listener: Int32
    private let stopped = Mutex(false)

    /// Starts forwarding.
    /// - Parameters:
    ///   - namespacePath: `/proc/PID/ns/net` of a process in the target namespace.
    ///   - port: The port inside it.
    /// - Throws: ``VerifyError/containerStart(_:)`` when the namespace or a host port cannot be had.
    init(namespacePath: String, port: Int) throws {
        let namespace = open(namespacePath, O_RDONLY | O_CLOEXEC)
        guard namespace >= 0 else { throw VerifyError.containerStart("cannot open \(namespacePath): \(String(cString: strerror(errno)))") }
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard listener >= 0 else {
            close(namespace)
            throw VerifyError.containerStart("socket: \(String(cString: strerror(errno)))")
        }
        var address = Self.loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) == 0 && listen(listener, 16) == 0 && getsockname(listener, $0, &length) == 0 }
        }
        guard bound else {
            close(listener)
            close(namespace)
            throw VerifyError.containerStart("cannot listen on 127.0.0.1: \(String(cString: strerror(errno)))")
        }
        self.listener = listener
        self.port = port
        self.hostPort = Int(UInt16(bigEndian: address.sin_port))
        let thread = Thread { [self] in
            defer { close(namespace) }
            guard labforge_enter_network_namespace(namespace) == 0 else { return }
            acceptLoop()
        }
        thread.name = "labforge.forward.\(port)"
        thread.start()
    }

    /// Stops accepting (open relays end when either side closes).
    func stop() {
        stopped.withLock { $0 = true }
        shutdown(listener, Int32(SHUT_RDWR))
    }

    deinit {
        close(listener)
    }

    private func acceptLoop() {
        while !stopped.withLock({ $0 }) {
            var poller = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, 200)
            if ready <= 0 { continue }
            let client = accept(listener, nil, nil)
            if client < 0 { continue }
            _ = fcntl(client, F_SETFD, FD_CLOEXEC)
            // This thread is in the target namespace: the upstream socket is made there.
            let upstream = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            var address = Self.loopback(port: port)
            let connected = upstream >= 0 && withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
            }
            guard connected else {
                // Nothing listens yet: close the client at once, as a refused connection would.
                if upstream >= 0 { close(upstream) }
                close(client)
                continue
            }
            let relay = Thread { Self.relay(client, upstream) }
            relay.name = "labforge.relay.\(port)"
            relay.start()
        }
    }

    /// Copies bytes both ways until both sides have closed (half-closes passed on with shutdown).
    private static func relay(_ a: Int32, _ b: Int32) {
        defer {
            close(a)
            close(b)
        }
        var open = (a: true, b: true)
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while open.a || open.b {
            var fds = [pollfd(fd: open.a ? a : -1, events: Int16(POLLIN), revents: 0), pollfd(fd: open.b ? b : -1, events: Int16(POLLIN), revents: 0)]
            if poll(&fds, 2, 1000) < 0 { if errno == EINTR { continue } else { return } }
            for (index, (from, to)) in [(a, b), (b, a)].enumerated() where fds[index].revents != 0 {
                let count = buffer.withUnsafeMutableBytes { read(from, $0.baseAddress, $0.count) }
                if count <= 0 {
                    shutdown(to, Int32(SHUT_WR))
                    if index == 0 { open.a = false } else { open.b = false }
                    continue
                }
                var sent = 0
                while sent < count {
                    let written = buffer.withUnsafeBytes { write(to, $0.baseAddress! + sent, count - sent) }
                    if written <= 0 { return }
                    sent += written
                }
            }
        }
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = in_addr_t(UInt32(0x7F00_0001).bigEndian)
        return address
    }
}
