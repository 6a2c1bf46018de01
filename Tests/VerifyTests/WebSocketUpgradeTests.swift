// The WebSocket client keeps what a server sends right behind its 101 response: a server that speaks first (websockify
// forwarding the VNC server's banner) can put both in one TCP segment, read by the client in one go.
#if canImport(Glibc)
import Glibc
#endif
import Crypto
import Foundation
import Reporting
import Testing
@testable import Verify

@Suite("WebSocket upgrade")
struct WebSocketUpgradeTests {
    @Test("bytes in the same segment as the 101 reach the WebSocket reader (the RFB banner websockify forwards at once)")
    func dataBehindTheUpgrade() async throws {
        let server = try UpgradeThenSpeakServer(firstMessage: Array("RFB 003.008\n".utf8))
        let served = Task { try await DedicatedThread.run(name: "test.websocket-server") { try server.serveOnce() } }
        // Before the fix the banner was dropped with the HTTP decoder's leftover bytes and the read waited for good.
        let banner = try await withTimeout(20, "the bytes behind the 101 never reached the WebSocket reader") {
            switch try await WebClient.webSocket(port: server.port, path: "websockify", subprotocol: "binary") {
            case .refused(let status):
                throw ProbeFailure("the upgrade was refused (HTTP \(status))")
            case .upgraded(let channel, _):
                return try await channel.executeThenClose { inbound, _ in
                    var reader = FrameReader(inbound.makeAsyncIterator())
                    return String(decoding: try await reader.read(12), as: UTF8.self)
                }
            }
        }
        #expect(banner == "RFB 003.008\n")
        // The server wrote its 101 and the frame with one write(2): the case above, not two segments.
        #expect(try await served.value == "HTTP/1.1 101")
    }
}

/// A one-connection WebSocket server on 127.0.0.1 that answers the upgrade and sends its first binary frame in the
/// same write, as a server that speaks first can.
private final class UpgradeThenSpeakServer: Sendable {
    let port: Int
    private let listener: Int32
    private let firstMessage: [UInt8]

    init(firstMessage: [UInt8]) throws {
        precondition(firstMessage.count < 126, "one short frame")
        self.firstMessage = firstMessage
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard descriptor >= 0, bound == 0, named == 0, listen(descriptor, 1) == 0 else {
            let reason = String(cString: strerror(errno))
            if descriptor >= 0 { close(descriptor) }
            throw ProbeFailure("test server: \(reason)")
        }
        listener = descriptor
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { close(listener) }

    /// Accepts one connection (waiting 20 s at most), reads the upgrade request, writes the 101 and the frame in one
    /// write, and holds the connection until the client closes it (20 s at most).
    /// - Returns: The start of what it wrote.
    func serveOnce() throws -> String {
        guard Self.readable(listener) else { throw ProbeFailure("test server: no client within 20 s") }
        let connection = accept(listener, nil, nil)
        guard connection >= 0 else { throw ProbeFailure("test server: accept: \(String(cString: strerror(errno)))") }
        defer { close(connection) }
        var request: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !String(decoding: request, as: UTF8.self).contains("\r\n\r\n") {
            guard Self.readable(connection) else { throw ProbeFailure("test server: no complete request within 20 s") }
            let count = read(connection, &buffer, buffer.count)
            guard count > 0 else { throw ProbeFailure("test server: the client closed before its request ended") }
            request += buffer[0..<count]
        }
        let key = String(decoding: request, as: UTF8.self).split(separator: "\r\n")
            .first { $0.lowercased().hasPrefix("sec-websocket-key:") }
            .map { $0.dropFirst("sec-websocket-key:".count).trimmingCharacters(in: .whitespaces) } ?? ""
        let accepted = Data(Insecure.SHA1.hash(data: Data((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").utf8))).base64EncodedString()
        let head = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Accept: \(accepted)\r\nSec-WebSocket-Protocol: binary\r\n\r\n"
        let reply = Array(head.utf8) + [0x82, UInt8(firstMessage.count)] + firstMessage
        guard write(connection, reply, reply.count) == reply.count else { throw ProbeFailure("test server: short write") }
        // Until the client closes: its FIN (or its close frame, then FIN).
        while Self.readable(connection), read(connection, &buffer, buffer.count) > 0 {}
        return String(head.prefix(12))
    }

    /// Whether `descriptor` has something to read (or was closed) within 20 s.
    private static func readable(_ descriptor: Int32) -> Bool {
        var waiting = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        return poll(&waiting, 1, 20_000) > 0
    }
}
