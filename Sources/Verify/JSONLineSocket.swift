// A blocking client for qemu's line-delimited JSON sockets (QMP and the guest agent's virtio-serial port).
#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// One connection to a Unix socket speaking one JSON object per line; every read has a time limit.
final class JSONLineSocket {
    private let fd: Int32
    private var buffer = Data()

    /// Connects to `path`.
    /// - Parameter path: The Unix socket.
    /// - Throws: ``SocketFailure`` when the socket is missing or refuses.
    init(path: String) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw SocketFailure("socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            close(fd)
            throw SocketFailure("socket path too long: \(path)")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in bytes.enumerated() { raw[index] = byte }
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else {
            let message = String(cString: strerror(errno))
            close(fd)
            throw SocketFailure("connect \(path): \(message)")
        }
    }

    deinit { close(fd) }

    /// Sends one JSON object followed by a newline.
    /// - Parameter object: A JSON-serializable dictionary.
    /// - Throws: ``SocketFailure``.
    func send(_ object: [String: Any]) throws {
        var data = try JSONSerialization.data(withJSONObject: object)
        data.append(0x0A)
        try data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = Glibc.send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                guard written > 0 else { throw SocketFailure("send: \(String(cString: strerror(errno)))") }
                offset += written
            }
        }
    }

    /// Reads the next line that parses as a JSON object, skipping anything else (e.g. the agent's 0xFF sync byte).
    /// - Parameter deadline: Give up at this time.
    /// - Returns: The object.
    /// - Throws: ``SocketFailure`` on timeout or when the peer closes.
    func receive(until deadline: Date) throws -> [String: Any] {
        while true {
            while let newline = buffer.firstIndex(of: 0x0A) {
                let line = buffer[buffer.startIndex..<newline].filter { $0 != 0xFF }
                buffer.removeSubrange(buffer.startIndex...newline)
                if let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] { return object }
            }
            let remaining = deadline.timeIntervalSinceNow
            guard remaining > 0 else { throw SocketFailure("no answer in time") }
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, Int32(min(remaining, 3600) * 1000))
            if ready == 0 { throw SocketFailure("no answer in time") }
            guard ready > 0 else { throw SocketFailure("poll: \(String(cString: strerror(errno)))") }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let count = recv(fd, &chunk, 4096, 0)
            guard count > 0 else { throw SocketFailure(count == 0 ? "connection closed" : "recv: \(String(cString: strerror(errno)))") }
            buffer.append(contentsOf: chunk[0..<count])
        }
    }

    /// Sends a command and waits for its `return` (skipping events), turning an `error` answer into a failure.
    /// - Parameters:
    ///   - command: The `execute` name.
    ///   - arguments: Its arguments.
    ///   - deadline: Give up at this time.
    /// - Returns: The `return` value.
    /// - Throws: ``SocketFailure``.
    func execute(_ command: String, arguments: [String: Any]? = nil, until deadline: Date) throws -> Any {
        var message: [String: Any] = ["execute": command]
        if let arguments { message["arguments"] = arguments }
        try send(message)
        while true {
            let answer = try receive(until: deadline)
            if let value = answer["return"] { return value }
            if let error = answer["error"] as? [String: Any] {
                throw SocketFailure("\(command): \(error["desc"] as? String ?? "\(error)")")
            }
        }
    }
}

/// Why a control-socket exchange failed.
struct SocketFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
