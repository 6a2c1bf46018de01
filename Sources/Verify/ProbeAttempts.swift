// One attempt of each probe against the booted guest; the runner repeats attempts until success or timeout.
#if canImport(Glibc)
import Glibc
#endif
import Archive
import Foundation
import NIOCore
import NIOWebSocket
import ProcessRunner
import Reporting

/// Single attempts of the probes. Each returns a short success detail or throws ``ProbeFailure`` saying what it saw.
enum ProbeAttempts {
    /// ttyd: the page at its base path answers only with the right authentication (401 without and with wrong
    /// credentials), then a shell over the `tty` WebSocket computes 6×7.
    /// With `screen`, the shell's first screen is written there as text (``TerminalScreen``).
    static func webTerminal(
        hostPort: Int, path: String, access: AgentAccess.Terminal, credentials: TestCredentials?, screen: String? = nil
    ) async throws -> String {
        // ttyd serves its page at its base path, the WebSocket at `<base path>ws`.
        let pagePath = path.hasSuffix("ws") ? String(path.dropLast(2)) : ""
        func get(_ headers: [(String, String)]) async throws -> WebClient.Response {
            try await withTimeout(30, "GET /\(pagePath) took longer than 30 s") { try await WebClient.get(port: hostPort, path: pagePath, headers: headers) }
        }
        var proofs: [String] = []
        let headers: [(String, String)]
        var token = ""
        switch access {
        case .open:
            headers = []
        case .basic(let fixed):
            guard let credential = fixed ?? credentials?.terminal else { throw FinalFailure("no terminal credential to probe with") }
            let anonymous = try await get([])
            // ttyd answers before it is fully up only with its own statuses; anything but 401 without credentials is a finding.
            if anonymous.status == 200 { throw FinalFailure("ttyd answered GET /\(pagePath) with 200 without credentials: the terminal is open to anyone who reaches it") }
            guard anonymous.status == 401 else { throw ProbeFailure("GET /\(pagePath) without credentials answered HTTP \(anonymous.status), expected 401") }
            let wrong = AgentAccess.BasicCredential(username: credential.username, password: credential.password + "-wrong")
            let refused = try await get([("Authorization", wrong.authorization)])
            guard refused.status == 401 else { throw FinalFailure("GET /\(pagePath) with a wrong password answered HTTP \(refused.status), expected 401") }
            proofs.append("no credentials → 401, wrong → 401")
            headers = [("Authorization", credential.authorization)]
            token = credential.token
        case .proxyHeader(let header):
            let anonymous = try await get([])
            if anonymous.status == 200 { throw FinalFailure("ttyd answered 200 without the \(header) header: the terminal is open to anyone who reaches it") }
            proofs.append("no \(header) header → \(anonymous.status)")
            headers = [(header, credentials?.terminal.username ?? "student")]
        }
        let page = try await get(headers)
        guard page.status == 200 else { throw ProbeFailure("GET /\(pagePath)\(headers.isEmpty ? "" : " with credentials") answered HTTP \(page.status)") }
        guard String(decoding: page.body, as: UTF8.self).localizedCaseInsensitiveContains("ttyd") else {
            throw ProbeFailure("GET /\(pagePath) answered 200 but the page is not ttyd's (\(page.body.count) bytes)")
        }
        if access != .open {
            // The WebSocket itself must not hand out a shell without authentication either. ttyd refuses the upgrade
            // (401) or closes the socket; any way it ends without the shell's answer is a refusal.
            let refusal: String
            do {
                refusal = try await withTimeout(15, "no shell within 15 s") {
                    try await terminalSession(port: hostPort, path: path, headers: [], token: "", expectShell: false).0
                }
            } catch let error as FinalFailure {
                throw error
            } catch {
                // Typically ttyd closing the socket under our next write (a policy-violation close).
                refusal = "closed without a shell"
            }
            proofs.append("WebSocket without credentials → \(refusal)")
        }
        let authToken = token
        let (title, output) = try await withTimeout(30, "ttyd's shell did not answer within 30 s") {
            try await terminalSession(port: hostPort, path: path, headers: headers, token: authToken, expectShell: true)
        }
        // Cross-site WebSocket hijacking: a page on another site opens the socket and the browser attaches the
        // credential it has cached for the terminal. With the right credential but a foreign Origin: no shell.
        let foreign: String
        do {
            foreign = try await withTimeout(15, "no shell within 15 s") {
                try await terminalSession(
                    port: hostPort, path: path, headers: headers, token: authToken, expectShell: false, origin: Self.foreignOrigin,
                    unexpected: "from Origin \(Self.foreignOrigin) (ttyd runs without --check-origin: any web page can open the terminal with the credential the browser has cached)"
                ).0
            }
        } catch let error as FinalFailure {
            throw error
        } catch {
            foreign = "closed without a shell"
        }
        proofs.append("Origin \(Self.foreignOrigin) → \(foreign)")
        if let screen {
            var render = TerminalScreen()
            render.feed(output)
            try? Data(render.text.utf8).write(to: URL(fileURLWithPath: screen), options: .atomic)
        }
        let auth = proofs.joined(separator: ", ") + (access == .open ? "; " : ", right → 200; ")
        return "\(auth)page \(page.body.count) B; /\(path) shell printed \(TtydProtocol.probeAnswer)\(title.isEmpty ? "" : " (\(title))")"
    }

    /// The Origin of a page on another site, for the cross-site WebSocket check.
    static let foreignOrigin = "https://attacker.example"

    /// One `tty` WebSocket session. With `expectShell` it returns the window title once the shell answered; without,
    /// it returns how ttyd refused (an error if a shell answered). The output bytes come second.
    private static func terminalSession(
        port: Int, path: String, headers: [(String, String)], token: String, expectShell: Bool, origin: String? = nil,
        unexpected: String = "without credentials"
    ) async throws -> (String, [UInt8]) {
        let opening = try await withTtyd(port: port, path: path, headers: headers, token: token, origin: origin) { tty -> (String, [UInt8]) in
            try await tty.send(TtydProtocol.input(TtydProtocol.probeCommand))
            switch try await tty.read(until: { String(decoding: $0, as: UTF8.self).contains(TtydProtocol.probeAnswer) }) {
            case .found:
                if expectShell { return (tty.title, tty.output) }
                throw FinalFailure("ttyd ran a shell for a WebSocket \(unexpected)")
            case .closed:
                if !expectShell { return ("closed", tty.output) }
                throw ProbeFailure("ttyd closed the WebSocket; output so far: \(tty.tail())")
            case .ended:
                if !expectShell { return ("ended", tty.output) }
                throw ProbeFailure("ttyd's WebSocket ended without the command's answer")
            }
        }
        switch opening {
        case .refused(let status):
            if !expectShell { return ("upgrade refused\(status > 0 ? " (HTTP \(status))" : "")", []) }
            throw ProbeFailure("WebSocket upgrade at /\(path) refused\(status > 0 ? " (HTTP \(status))" : "")")
        case .opened(let result):
            return result
        }
    }

    /// noVNC + websockify: `vnc.html`, then the RFB handshake through the `binary` WebSocket: the security types the
    /// VNC server offers, a wrong password refused and the right one accepted (or None, for an open desktop), and
    /// the ServerInit that follows.
    /// With `picture`, the accepted session then takes a PNG of the screen there (a failure to take it is reported in
    /// the detail, not as a failed probe).
    static func webDesktop(
        hostPort: Int, page: String, websocketPath: String, access: AgentAccess.Desktop, credentials: TestCredentials?, picture: String? = nil
    ) async throws -> String {
        let response = try await withTimeout(30, "GET /\(page) took longer than 30 s") { try await WebClient.get(port: hostPort, path: page) }
        guard response.status == 200 else { throw ProbeFailure("GET /\(page) answered HTTP \(response.status)") }
        let password: String?
        if case .vncPassword(let fixed) = access {
            guard let known = fixed ?? credentials?.desktopPassword else { throw FinalFailure("no VNC password to probe with") }
            password = known
        } else {
            password = nil
        }
        let accepted = try await withTimeout(60, "the RFB handshake did not finish within 60 s") {
            try await rfbSession(port: hostPort, path: websocketPath, password: password, picture: picture)
        }
        var detail = "\(page) \(response.body.count) B; /\(websocketPath): \(accepted)"
        if let password {
            let refused = try await withTimeout(60, "the RFB handshake with a wrong password did not finish within 60 s") {
                try await rfbSession(port: hostPort, path: websocketPath, password: wrongPassword(for: password), expectRefusal: true)
            }
            detail += "; wrong password → \(refused)"
        }
        return detail
    }

    /// A password that differs from `password` within the 8 characters VNC authentication reads.
    static func wrongPassword(for password: String) -> String {
        let first = password.first == "x" ? "y" : "x"
        return first + password.dropFirst()
    }

    /// One RFB handshake through websockify. With a password the server must offer VncAuth and not None.
    private static func rfbSession(port: Int, path: String, password: String?, expectRefusal: Bool = false, picture: String? = nil) async throws -> String {
        switch try await WebClient.webSocket(port: port, path: path, subprotocol: "binary") {
        case .refused(let status):
            throw ProbeFailure("WebSocket upgrade at /\(path) refused\(status > 0 ? " (HTTP \(status))" : "")")
        case .upgraded(let channel, _):
            return try await channel.executeThenClose { inbound, outbound in
                let outcome = try await RFBHandshake.open(
                    reader: FrameReader(inbound.makeAsyncIterator()), outbound: outbound, password: password, expectRefusal: expectRefusal)
                guard case .accepted(var session) = outcome else { return "SecurityResult failed" }
                var detail = session.server.detail
                if let picture {
                    let (width, height) = (session.server.width, session.server.height)
                    do {
                        let canvas = try await desktopPicture(session: &session)
                        try PNGEncoder.encode(rgb: canvas.rgb, width: canvas.width, height: canvas.height)
                            .write(to: URL(fileURLWithPath: picture), options: .atomic)
                        detail += "; picture \(width)x\(height)\(canvas.isUniform ? " (one colour)" : "")"
                    } catch {
                        detail += "; no picture: \(error)"
                    }
                }
                return detail
            }
        }
    }

    /// sshd's identification line (`SSH-2.0-…`), read from a plain TCP connection.
    static func sshBanner(hostPort: Int) async throws -> String {
        try await blocking { try readLine(port: hostPort, timeout: 10) }
    }

    /// Runs `command` as the lab user with the generated key.
    static func ssh(hostPort: Int, seed: NoCloudSeed, command: String, timeout: Double) async throws -> ChildProcessResult {
        try await HostCommand.run(
            [
                "ssh", "-F", "/dev/null", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "ConnectTimeout=15", "-o", "LogLevel=ERROR",
                "-i", seed.privateKeyPath, "-p", String(hostPort), "\(seed.userName)@127.0.0.1", "--", command,
            ], timeout: timeout, package: "openssh-client")
    }

    /// A connection to qemu-guest-agent after `guest-sync`: answers left from an earlier connection are skipped.
    /// - Parameters:
    ///   - socketPath: The guest agent's socket.
    ///   - deadline: Give up at this time.
    /// - Returns: The connected socket.
    /// - Throws: ``SocketFailure`` while the agent is not up.
    static func syncedGuestAgent(_ socketPath: String, until deadline: Date) throws -> JSONLineSocket {
        let socket = try JSONLineSocket(path: socketPath)
        let token = Int.random(in: 1...Int(Int32.max))
        try socket.send(["execute": "guest-sync", "arguments": ["id": token]])
        while true {
            let answer = try socket.receive(until: deadline)
            if (answer["return"] as? Int) == token { return socket }
        }
    }

    /// qemu-guest-agent: `guest-sync` (to skip stale answers) then `guest-ping` and `guest-info`.
    static func guestAgent(socketPath: String) async throws -> String {
        try await blocking {
            let deadline = Date().addingTimeInterval(8)
            let socket = try syncedGuestAgent(socketPath, until: deadline)
            _ = try socket.execute("guest-ping", until: deadline)
            let info = try? socket.execute("guest-info", until: deadline) as? [String: Any]
            return "guest-ping answered" + ((info?["version"] as? String).map { " (qemu-ga \($0))" } ?? "")
        }
    }

    /// The `SecureBoot` EFI variable as the guest's kernel exposes it (4 attribute bytes, then the value).
    static let secureBootVariable = "/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c"
    /// Present on every UEFI boot, whether or not the kernel uses EFI runtime services.
    static let efiMarker = "/sys/firmware/efi/fw_platform_size"
    /// The kernel's lockdown state (`none [integrity] confidentiality`): Debian's kernels lock down from Secure Boot.
    static let lockdownState = "/sys/kernel/security/lockdown"

    /// What the guest says of Secure Boot, and where it read it.
    struct SecureBootReading: Sendable, Equatable {
        /// Whether Secure Boot is on.
        var on: Bool
        /// The evidence, for the probe's detail.
        var source: String
    }

    /// Reads the guest's `SecureBoot` EFI variable through the guest agent. A kernel without EFI runtime services
    /// (Debian's PREEMPT_RT flavour turns them off) has no variables to read; it still knows it booted through UEFI
    /// (`/sys/firmware/efi`) and locks itself down under Secure Boot, so its lockdown state is read instead.
    /// - Parameter socketPath: The guest agent's socket.
    /// - Returns: The reading.
    /// - Throws: ``FinalFailure`` when the guest did not boot through UEFI; other errors (agent not up yet) are
    ///   retried by the caller.
    static func secureBoot(socketPath: String) async throws -> SecureBootReading {
        try await blocking {
            let deadline = Date().addingTimeInterval(8)
            let socket = try syncedGuestAgent(socketPath, until: deadline)
            if let variable = try readGuestFile(secureBootVariable, socket: socket, until: deadline) {
                guard variable.count >= 5 else { throw ProbeFailure("\(secureBootVariable) holds \(variable.count) bytes, not an EFI variable") }
                let value = variable[variable.startIndex + 4]
                return SecureBootReading(on: value == 1, source: "SecureBoot EFI variable = \(value), read in the guest over the guest agent")
            }
            guard try readGuestFile(efiMarker, socket: socket, until: deadline) != nil else {
                throw FinalFailure("the guest has no /sys/firmware/efi: it did not boot through UEFI")
            }
            guard let lockdown = try readGuestFile(lockdownState, socket: socket, until: deadline) else {
                throw FinalFailure("the guest booted through UEFI but has neither EFI variables nor a lockdown state to read Secure Boot from")
            }
            let state = String(decoding: lockdown, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            return SecureBootReading(
                on: !state.contains("[none]"),
                source: "no EFI variables (the kernel runs without EFI runtime services); its lockdown, set from Secure Boot: \(state)")
        }
    }

    /// A small file of the guest, read through the guest agent; nil when it does not exist.
    static func readGuestFile(_ path: String, socket: JSONLineSocket, until deadline: Date) throws -> Data? {
        let handle: Any
        do {
            handle = try socket.execute("guest-file-open", arguments: ["path": path, "mode": "r"], until: deadline)
        } catch let failure as SocketFailure where failure.description.contains("No such file") {
            return nil
        }
        defer { _ = try? socket.execute("guest-file-close", arguments: ["handle": handle], until: deadline) }
        let read = try socket.execute("guest-file-read", arguments: ["handle": handle, "count": 4096], until: deadline) as? [String: Any]
        guard let encoded = read?["buf-b64"] as? String, let bytes = Data(base64Encoded: encoded) else {
            throw ProbeFailure("guest-file-read of \(path) returned no data")
        }
        return bytes
    }

    /// Runs blocking socket work off the cooperative pool.
    static func blocking<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await DedicatedThread.run(name: "labforge.verify.probe", work)
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

/// Reads exact byte counts from WebSocket frames, however websockify splits them.
struct FrameReader<Iterator: AsyncIteratorProtocol> where Iterator.Element == WebSocketFrame {
    private var iterator: Iterator
    private var buffer: [UInt8] = []

    init(_ iterator: Iterator) {
        self.iterator = iterator
    }

    mutating func read(_ count: Int) async throws -> [UInt8] {
        while buffer.count < count {
            guard let frame = try await iterator.next() else { throw ProbeFailure("websockify's WebSocket ended mid-handshake") }
            switch frame.opcode {
            case .binary, .text, .continuation: buffer += frame.unmaskedData.readableBytesView
            case .connectionClose: throw ProbeFailure("websockify closed the WebSocket (is the VNC server on its target port running?)")
            default: continue
            }
        }
        defer { buffer.removeFirst(count) }
        return Array(buffer.prefix(count))
    }
}
