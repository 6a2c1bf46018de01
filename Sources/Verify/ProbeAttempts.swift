// One attempt of each probe against the booted guest; the runner repeats attempts until success or timeout.
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import NIOCore
import NIOWebSocket

/// Single attempts of the probes. Each returns a short success detail or throws ``ProbeFailure`` saying what it saw.
enum ProbeAttempts {
    /// ttyd: page at `/`, then a shell over the `tty` WebSocket that computes 6×7.
    static func webTerminal(hostPort: Int, path: String) async throws -> String {
        // ttyd serves its page at its base path, the WebSocket at `<base path>ws`.
        let pagePath = path.hasSuffix("ws") ? String(path.dropLast(2)) : ""
        let page = try await withTimeout(30, "GET /\(pagePath) took longer than 30 s") { try await WebClient.get(port: hostPort, path: pagePath) }
        guard page.status == 200 else { throw ProbeFailure("GET /\(pagePath) answered HTTP \(page.status)") }
        guard String(decoding: page.body, as: UTF8.self).localizedCaseInsensitiveContains("ttyd") else {
            throw ProbeFailure("GET /\(pagePath) answered 200 but the page is not ttyd's (\(page.body.count) bytes)")
        }
        let output = try await withTimeout(30, "ttyd's shell did not answer within 30 s") {
            try await terminalSession(port: hostPort, path: path)
        }
        return "page \(page.body.count) B; /\(path) shell printed \(TtydProtocol.probeAnswer)\(output.isEmpty ? "" : " (\(output))")"
    }

    private static func terminalSession(port: Int, path: String) async throws -> String {
        switch try await WebClient.webSocket(port: port, path: path, subprotocol: "tty") {
        case .refused(let status):
            throw ProbeFailure("WebSocket upgrade at /\(path) refused\(status > 0 ? " (HTTP \(status))" : "")")
        case .upgraded(let channel, let subprotocol):
            guard subprotocol == nil || subprotocol == "tty" else { throw ProbeFailure("ttyd chose subprotocol \(subprotocol!)") }
            return try await channel.executeThenClose { inbound, outbound in
                try await outbound.write(WebClient.clientFrame(TtydProtocol.initialMessage()))
                try await outbound.write(WebClient.clientFrame(TtydProtocol.input(TtydProtocol.probeCommand)))
                var output: [UInt8] = []
                var title = ""
                for try await frame in inbound {
                    switch frame.opcode {
                    case .binary, .text:
                        switch TtydProtocol.decode(Array(frame.unmaskedData.readableBytesView)) {
                        case .output(let bytes): output += bytes
                        case .title(let text): title = text
                        default: break
                        }
                        if String(decoding: output, as: UTF8.self).contains(TtydProtocol.probeAnswer) { return title }
                    case .connectionClose:
                        throw ProbeFailure("ttyd closed the WebSocket; output so far: \(String(decoding: output.suffix(200), as: UTF8.self).debugDescription)")
                    default: break
                    }
                }
                throw ProbeFailure("ttyd's WebSocket ended without the command's answer")
            }
        }
    }

    /// noVNC + websockify: `vnc.html`, then the RFB banner through the `binary` WebSocket.
    static func webDesktop(hostPort: Int, page: String, websocketPath: String) async throws -> String {
        let response = try await withTimeout(30, "GET /\(page) took longer than 30 s") { try await WebClient.get(port: hostPort, path: page) }
        guard response.status == 200 else { throw ProbeFailure("GET /\(page) answered HTTP \(response.status)") }
        let banner = try await withTimeout(30, "no RFB banner within 30 s") {
            try await rfbBanner(port: hostPort, path: websocketPath)
        }
        return "\(page) \(response.body.count) B; /\(websocketPath) sent \(banner.text)"
    }

    private static func rfbBanner(port: Int, path: String) async throws -> RFBBanner {
        switch try await WebClient.webSocket(port: port, path: path, subprotocol: "binary") {
        case .refused(let status):
            throw ProbeFailure("WebSocket upgrade at /\(path) refused\(status > 0 ? " (HTTP \(status))" : "")")
        case .upgraded(let channel, _):
            return try await channel.executeThenClose { inbound, _ in
                var bytes: [UInt8] = []
                for try await frame in inbound {
                    switch frame.opcode {
                    case .binary, .text, .continuation:
                        bytes += frame.unmaskedData.readableBytesView
                        if bytes.count >= 12 {
                            guard let banner = RFBBanner(bytes) else {
                                throw ProbeFailure("websockify sent \(String(decoding: bytes.prefix(12), as: UTF8.self).debugDescription), not an RFB banner")
                            }
                            return banner
                        }
                    case .connectionClose:
                        throw ProbeFailure("websockify closed the WebSocket (is the VNC server on its target port running?)")
                    default: break
                    }
                }
                throw ProbeFailure("websockify's WebSocket ended before the RFB banner")
            }
        }
    }

    /// sshd's identification line (`SSH-2.0-…`), read from a plain TCP connection.
    static func sshBanner(hostPort: Int) async throws -> String {
        try await blocking { try readLine(port: hostPort, timeout: 10) }
    }

    /// Runs `command` as the lab user with the generated key.
    static func ssh(hostPort: Int, seed: NoCloudSeed, command: String, timeout: Double) async throws -> HostCommandOutput {
        try await HostCommand.run(
            [
                "ssh", "-F", "/dev/null", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "ConnectTimeout=15", "-o", "LogLevel=ERROR",
                "-i", seed.privateKeyPath, "-p", String(hostPort), "\(seed.userName)@127.0.0.1", "--", command,
            ], timeout: timeout, package: "openssh-client")
    }

    /// qemu-guest-agent: `guest-sync` (to skip stale answers) then `guest-ping` and `guest-info`.
    static func guestAgent(socketPath: String) async throws -> String {
        try await blocking {
            let socket = try JSONLineSocket(path: socketPath)
            let token = Int.random(in: 1...Int(Int32.max))
            let deadline = Date().addingTimeInterval(8)
            try socket.send(["execute": "guest-sync", "arguments": ["id": token]])
            while true {
                let answer = try socket.receive(until: deadline)
                if (answer["return"] as? Int) == token { break }
            }
            _ = try socket.execute("guest-ping", until: deadline)
            let info = try? socket.execute("guest-info", until: deadline) as? [String: Any]
            return "guest-ping answered" + ((info?["version"] as? String).map { " (qemu-ga \($0))" } ?? "")
        }
    }

    /// Runs blocking socket work off the cooperative pool.
    private static func blocking<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try work() }) }
        }
    }

    /// Connects to 127.0.0.1:port and reads one line (slirp accepts at once and closes when the guest refuses).
    private static func readLine(port: Int, timeout: Double) throws -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ProbeFailure("socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw ProbeFailure("connect 127.0.0.1:\(port): \(String(cString: strerror(errno)))") }
        let deadline = Date().addingTimeInterval(timeout)
        var bytes: [UInt8] = []
        while !bytes.contains(0x0A) {
            let remaining = deadline.timeIntervalSinceNow
            guard remaining > 0 else { throw ProbeFailure("no SSH banner within \(Int(timeout)) s") }
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, Int32(remaining * 1000)) > 0 else { throw ProbeFailure("no SSH banner within \(Int(timeout)) s") }
            var chunk = [UInt8](repeating: 0, count: 256)
            let count = recv(fd, &chunk, 256, 0)
            guard count > 0 else { throw ProbeFailure("connection closed before the SSH banner (sshd not listening yet?)") }
            bytes += chunk[0..<count]
        }
        let line = String(decoding: bytes.prefix { $0 != 0x0A && $0 != 0x0D }, as: UTF8.self)
        guard line.hasPrefix("SSH-2.0-") else { throw ProbeFailure("port 22 answered \(line.debugDescription), not an SSH-2.0 banner") }
        return line
    }
}
