// ttyd's `tty` WebSocket as a client: one connection (title, preferences, output, keyboard input), and the shell
// behind it used to run a command and read its output up to a marker the shell computes.
import Foundation
import NIOCore
import NIOWebSocket

/// One `tty` WebSocket session with ttyd, inside the channel's `executeThenClose`.
final class TtydConnection {
    private var iterator: NIOAsyncChannelInboundStream<WebSocketFrame>.AsyncIterator
    private let outbound: NIOAsyncChannelOutboundWriter<WebSocketFrame>
    /// Every output byte so far.
    private(set) var output: [UInt8] = []
    /// The window title ttyd sent (`/bin/bash --login (lab)`).
    private(set) var title = ""
    /// The client preferences ttyd sent on connect (JSON: its `-t key=value` options), if it sent them yet.
    private(set) var preferences: String?

    /// How reading ended.
    enum ReadEnd: Equatable {
        /// The condition became true.
        case found
        /// ttyd sent a close frame.
        case closed
        /// The socket ended.
        case ended
    }

    init(inbound: NIOAsyncChannelInboundStream<WebSocketFrame>, outbound: NIOAsyncChannelOutboundWriter<WebSocketFrame>) {
        iterator = inbound.makeAsyncIterator()
        self.outbound = outbound
    }

    /// Sends one message (already framed by ``TtydProtocol``).
    func send(_ message: [UInt8]) async throws {
        try await outbound.write(WebClient.clientFrame(message))
    }

    /// Reads ttyd's messages until `done` holds for the output, or the socket closes.
    func read(until done: ([UInt8]) -> Bool) async throws -> ReadEnd {
        if done(output) { return .found }
        while let frame = try await iterator.next() {
            switch frame.opcode {
            case .binary, .text:
                switch TtydProtocol.decode(Array(frame.unmaskedData.readableBytesView)) {
                case .output(let bytes): output += bytes
                case .title(let text): title = text
                case .preferences(let json): preferences = json
                case .unknown: break
                }
                if done(output) { return .found }
            case .connectionClose:
                return .closed
            case .ping:
                // A browser answers ttyd's pings; a session held open (the idle-stop proof) must too, or ttyd drops it.
                try await outbound.write(WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: frame.unmaskedData))
            default:
                continue
            }
        }
        return .ended
    }

    /// The last output, printable, for failure details.
    func tail(_ count: Int = 200) -> String {
        String(decoding: output.suffix(count), as: UTF8.self).debugDescription
    }
}

/// How opening the `tty` WebSocket went.
enum TtydOpening<T: Sendable>: Sendable {
    /// ttyd refused the upgrade (HTTP status, 0 when unknown).
    case refused(status: Int)
    /// The session ran; what the body returned.
    case opened(T)
}

extension ProbeAttempts {
    /// Opens ttyd's `tty` WebSocket, sends the initial message (auth token, terminal size; ttyd starts the command
    /// after it) and runs `body` on the connection.
    /// - Parameters:
    ///   - port: ttyd's host port.
    ///   - path: The WebSocket path (`ws`).
    ///   - headers: Extra request headers (basic authentication, a proxy's user header).
    ///   - token: ttyd's auth token, empty without `--credential`.
    ///   - origin: The Origin to send instead of ttyd's own.
    ///   - body: What to do on the connection.
    /// - Returns: `.refused` or what `body` returned.
    /// - Throws: ``ProbeFailure`` when ttyd picks another subprotocol; what `body` throws.
    static func withTtyd<T: Sendable>(
        port: Int, path: String, headers: [(String, String)], token: String, origin: String? = nil, _ body: (TtydConnection) async throws -> T
    ) async throws -> TtydOpening<T> {
        switch try await WebClient.webSocket(port: port, path: path, subprotocol: "tty", headers: headers, origin: origin) {
        case .refused(let status):
            return .refused(status: status)
        case .upgraded(let channel, let subprotocol):
            guard subprotocol == nil || subprotocol == "tty" else { throw ProbeFailure("ttyd chose subprotocol \(subprotocol!)") }
            return try await channel.executeThenClose { inbound, outbound in
                let connection = TtydConnection(inbound: inbound, outbound: outbound)
                try await connection.send(TtydProtocol.initialMessage(token: token))
                return .opened(try await body(connection))
            }
        }
    }

    /// The request headers and auth token the terminal's access mode needs (no refusal checks: the web-terminal
    /// probe makes those).
    static func terminalLogin(_ access: AgentAccess.Terminal, credentials: TestCredentials?) throws -> (headers: [(String, String)], token: String) {
        switch access {
        case .open:
            return ([], "")
        case .basic(let fixed):
            guard let credential = fixed ?? credentials?.terminal else { throw FinalFailure("no terminal credential to probe with") }
            return ([("Authorization", credential.authorization)], credential.token)
        case .proxyHeader(let header):
            return ([(header, credentials?.terminal.username ?? "student")], "")
        }
    }
}

/// A command's outcome in a shell.
struct ShellOutput: Sendable, Equatable {
    /// Its exit status.
    var status: Int32
    /// Its standard output and error, as the shell showed them.
    var text: String
}

/// A shell in the lab session — the one a student gets in the web terminal — that the desktop proofs run their
/// commands in (reading and setting the X clipboard, looking for the panel). The VM's is ttyd's shell over its
/// WebSocket (``TtydShell``); a test may give a shell of the host next to a real X server.
protocol SessionShell {
    /// Runs `command` (one shell command line, not ending with `&`) and waits for it.
    /// - Parameter command: The command line.
    /// - Returns: Its exit status and output.
    /// - Throws: ``ProbeFailure`` when the shell does not answer.
    func run(_ command: String) async throws -> ShellOutput
}

/// ttyd's shell: a command is typed, its output and status come back base64-encoded on one line behind a marker
/// the shell computes (`$((6*7))`), so the terminal's echo of the typed line never matches by itself.
struct TtydShell: SessionShell {
    let connection: TtydConnection

    func run(_ command: String) async throws -> ShellOutput {
        let nonce = String(UInt64.random(in: 0...UInt64.max), radix: 16)
        let start = connection.output.count
        // A leading space keeps the line out of bash's history (Debian's HISTCONTROL=ignoreboth).
        try await connection.send(TtydProtocol.input(Self.line(command, nonce: nonce)))
        var found: ShellOutput?
        let end = try await connection.read { output in
            found = Self.result(in: Array(output[start...]), nonce: nonce)
            return found != nil
        }
        guard end == .found, let found else {
            throw ProbeFailure("ttyd's shell \(end == .closed ? "closed the WebSocket" : "ended") before `\(command)` finished; output so far: \(connection.tail())")
        }
        return found
    }

    /// The typed line: the command's output captured, then one marker line with its status and output in base64.
    static func line(_ command: String, nonce: String) -> String {
        " __lf=$({ \(command); } 2>&1); __ls=$?; printf 'LABFORGE_RESULT_\(nonce)_%s_%s_%s\\n' $((6*7)) \"$__ls\" \"$(printf %s \"$__lf\" | base64 -w0)\"\r"
    }

    /// The result line of ``line(_:nonce:)`` in terminal output, if it has come.
    static func result(in output: [UInt8], nonce: String) -> ShellOutput? {
        let text = String(decoding: output, as: UTF8.self)
        let prefix = "LABFORGE_RESULT_\(nonce)_42_"
        guard let found = text.range(of: prefix) else { return nil }
        let rest = text[found.upperBound...]
        guard let newline = rest.firstIndex(where: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }) else { return nil }
        let fields = rest[..<newline].split(separator: "_", maxSplits: 1, omittingEmptySubsequences: false)
        guard fields.count == 2, let status = Int32(fields[0]), let decoded = Data(base64Encoded: String(fields[1])) else { return nil }
        return ShellOutput(status: status, text: String(decoding: decoded, as: UTF8.self))
    }
}
