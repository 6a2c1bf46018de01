// An RFB (RFC 6143) client session through websockify: the handshake up to ServerInit, then client messages and
// the server's messages read one at a time — what the desktop probes and proofs share.
import NIOCore
import NIOWebSocket

/// What the VNC server said in the handshake: its banner (`RFB 003.008`), the security types it offered (named)
/// and the one chosen, then ServerInit's framebuffer size and desktop name.
struct RFBServerInit: Sendable, Equatable {
    var banner, offered: String
    var chosen: UInt8
    var width, height: UInt16
    var name: String

    /// The web-desktop probe's detail: banner, security types, the accepted one and ServerInit.
    var detail: String {
        "\(banner), security types [\(offered)], \(RFBHandshake.name(chosen)) accepted, ServerInit \(width)x\(height) \"\(name)\""
    }
}

/// One rectangle of a FramebufferUpdate: position and size (for ExtendedDesktopSize x is the reason, y the status,
/// the size the framebuffer's), the encoding (0 Raw, or a pseudo-encoding), Raw pixels (4 bytes each, the pixel
/// format ``RFBFramebuffer/setPixelFormat`` asks for) and an ExtendedDesktopSize rectangle's screens.
struct RFBRectangle: Sendable, Equatable {
    var x, y, width, height: Int
    var encoding: Int32
    var pixels: [UInt8] = []
    var screens: [RFBDesktopSize.Screen] = []
}

/// A message from the VNC server.
enum RFBServerMessage: Sendable, Equatable {
    /// FramebufferUpdate (type 0) with its rectangles.
    case framebufferUpdate([RFBRectangle])
    /// Bell (type 2).
    case bell
    /// ServerCutText (type 3): the server's clipboard, Latin-1.
    case serverCutText([UInt8])
    /// SetColourMapEntries (type 1), skipped (the probes ask for true colour).
    case colourMap
}

/// An accepted RFB session: the rest of the conversation after ServerInit.
struct RFBSession<Iterator: AsyncIteratorProtocol> where Iterator.Element == WebSocketFrame {
    private(set) var reader: FrameReader<Iterator>
    let outbound: NIOAsyncChannelOutboundWriter<WebSocketFrame>
    /// What the server said in the handshake.
    let server: RFBServerInit

    /// Creates a session over a handshake that was accepted.
    init(reader: FrameReader<Iterator>, outbound: NIOAsyncChannelOutboundWriter<WebSocketFrame>, server: RFBServerInit) {
        self.reader = reader
        self.outbound = outbound
        self.server = server
    }

    /// Sends one client message.
    func send(_ bytes: [UInt8]) async throws {
        try await outbound.write(WebClient.clientFrame(bytes))
    }

    /// SetPixelFormat (32-bit true colour) and SetEncodings: Raw, the Cursor pseudo-encoding unless `localCursor` is
    /// false, and `pseudoEncodings`; with `localCursor`, then a PointerEvent that parks the pointer in the screen's
    /// bottom-right corner. The screen is pictured without the pointer that way: TigerVNC paints it into the pixels
    /// (an arrow on a black square, once a program in the session defines one) for a client that cannot draw it, and
    /// also for one that can while the pointer is not where that client last put it (a client that never moved it,
    /// as a probe, included).
    func configure(pseudoEncodings: [Int32] = [], localCursor: Bool = true) async throws {
        try await send(RFBFramebuffer.setPixelFormat)
        try await send(RFBFramebuffer.setEncodings([0] + (localCursor ? [RFBFramebuffer.cursor] : []) + pseudoEncodings))
        if localCursor, server.width > 0, server.height > 0 {
            try await send(RFBFramebuffer.pointerEvent(x: server.width - 1, y: server.height - 1))
        }
    }

    /// Reads the server's next message. Rectangles may be Raw, Cursor, ExtendedDesktopSize or DesktopSize (what the
    /// probes announce); any other encoding fails. A Cursor rectangle's shape is read and dropped.
    mutating func next() async throws -> RFBServerMessage {
        let type = try await reader.read(1)[0]
        switch type {
        case 0:
            let header = try await reader.read(3)
            var rectangles: [RFBRectangle] = []
            for _ in 0..<Int(RFBHandshake.uint16(header, at: 1)) {
                let bytes = try await reader.read(12)
                var rectangle = RFBRectangle(
                    x: Int(RFBHandshake.uint16(bytes, at: 0)), y: Int(RFBHandshake.uint16(bytes, at: 2)),
                    width: Int(RFBHandshake.uint16(bytes, at: 4)), height: Int(RFBHandshake.uint16(bytes, at: 6)),
                    encoding: Int32(bitPattern: RFBHandshake.uint32(bytes, at: 8)))
                switch rectangle.encoding {
                case 0:
                    rectangle.pixels = try await reader.read(rectangle.width * rectangle.height * 4)
                case RFBDesktopSize.extendedDesktopSize:
                    let count = Int(try await reader.read(4)[0])
                    rectangle.screens = RFBDesktopSize.screens(try await reader.read(count * 16))
                case RFBDesktopSize.desktopSize:
                    break
                case RFBFramebuffer.cursor:
                    guard rectangle.width <= 1024, rectangle.height <= 1024 else {
                        throw ProbeFailure("the VNC server announced a pointer shape of \(rectangle.width)x\(rectangle.height) (at most 1024x1024 is read)")
                    }
                    // The shape in the session's pixel format (4 bytes a pixel), then a bitmask of whole bytes per row.
                    _ = try await reader.read(rectangle.width * rectangle.height * 4 + (rectangle.width + 7) / 8 * rectangle.height)
                default:
                    throw ProbeFailure("the VNC server sent encoding \(rectangle.encoding), not the Raw asked for")
                }
                rectangles.append(rectangle)
            }
            return .framebufferUpdate(rectangles)
        case 1:
            let header = try await reader.read(5)
            _ = try await reader.read(Int(RFBHandshake.uint16(header, at: 3)) * 6)
            return .colourMap
        case 2:
            return .bell
        case 3:
            let header = try await reader.read(7)
            let length = Int(RFBHandshake.uint32(header, at: 3))
            guard length <= 1 << 22 else { throw ProbeFailure("the VNC server announced \(length) bytes of ServerCutText") }
            return .serverCutText(try await reader.read(length))
        default:
            throw ProbeFailure("unexpected RFB server message type \(type)")
        }
    }
}

/// How a handshake ended.
enum RFBHandshakeOutcome<Iterator: AsyncIteratorProtocol> where Iterator.Element == WebSocketFrame {
    /// The server accepted the authentication and sent ServerInit.
    case accepted(RFBSession<Iterator>)
    /// The server refused the authentication (only when a refusal was expected).
    case refused
}

extension RFBHandshake {
    /// The handshake after the WebSocket opened: banner, security types (with a password the server must offer
    /// VncAuth and not None), authentication, SecurityResult, ClientInit (shared), ServerInit.
    /// - Parameters:
    ///   - reader: The WebSocket's frames.
    ///   - outbound: The WebSocket's writer.
    ///   - password: The VNC password, or nil for security type None.
    ///   - expectRefusal: Whether the password is expected to be refused.
    /// - Returns: The session, or `.refused` when a refusal was expected and came.
    /// - Throws: ``ProbeFailure`` (retried) or ``FinalFailure`` (None offered, a wrong password accepted).
    static func open<Iterator>(
        reader: FrameReader<Iterator>, outbound: NIOAsyncChannelOutboundWriter<WebSocketFrame>, password: String?, expectRefusal: Bool = false
    ) async throws -> RFBHandshakeOutcome<Iterator> {
        var reader = reader
        guard let banner = RFBBanner(try await reader.read(12)) else { throw ProbeFailure("websockify did not relay an RFB banner") }
        try await outbound.write(WebClient.clientFrame(clientVersion))
        let count = Int(try await reader.read(1)[0])
        if count == 0 {
            let length = Int(uint32(try await reader.read(4), at: 0))
            let reason = String(decoding: try await reader.read(min(length, 4096)), as: UTF8.self)
            throw ProbeFailure("the VNC server refused the connection: \(reason)")
        }
        let types = try await reader.read(count)
        let offered = types.map(name).joined(separator: ", ")
        let chosen: UInt8
        if password != nil {
            if types.contains(Self.none) {
                throw FinalFailure("the VNC server offers security type None (\(offered)): anyone who reaches websockify gets the desktop")
            }
            guard types.contains(Self.vncAuthentication) else { throw FinalFailure("the VNC server does not offer VNC authentication (\(offered))") }
            chosen = Self.vncAuthentication
        } else {
            guard types.contains(Self.none) else { throw FinalFailure("the VNC server asks for authentication (\(offered)) but the recipe says none") }
            chosen = Self.none
        }
        try await outbound.write(WebClient.clientFrame([chosen]))
        if let password {
            let challenge = try await reader.read(16)
            try await outbound.write(WebClient.clientFrame(vncResponse(challenge: challenge, password: password)))
        }
        let result = uint32(try await reader.read(4), at: 0)
        if expectRefusal {
            guard result != 0 else { throw FinalFailure("the VNC server accepted a wrong password") }
            return .refused
        }
        guard result == 0 else { throw ProbeFailure("the VNC server refused the \(password == nil ? "None" : "VNC") authentication (SecurityResult \(result))") }
        try await outbound.write(WebClient.clientFrame([1]))  // ClientInit: shared
        let serverInit = try await reader.read(24)
        let nameLength = Int(uint32(serverInit, at: 20))
        let name = String(decoding: try await reader.read(min(nameLength, 256)), as: UTF8.self)
        if nameLength > 256 { _ = try await reader.read(nameLength - 256) }
        let server = RFBServerInit(
            banner: banner.text, offered: offered, chosen: chosen, width: uint16(serverInit, at: 0), height: uint16(serverInit, at: 2), name: name)
        return .accepted(RFBSession(reader: reader, outbound: outbound, server: server))
    }
}

extension ProbeAttempts {
    /// Opens the RFB WebSocket at `path`, completes the handshake with `password` and runs `body` on the session.
    /// - Parameters:
    ///   - port: websockify's host port.
    ///   - path: The WebSocket path (`websockify`).
    ///   - password: The VNC password, or nil for security type None.
    ///   - body: What to do in the accepted session.
    /// - Returns: What `body` returns.
    /// - Throws: ``ProbeFailure`` when the upgrade or handshake fails; what `body` throws.
    static func withRFBSession<T: Sendable>(
        port: Int, path: String, password: String?,
        _ body: (inout RFBSession<NIOAsyncChannelInboundStream<WebSocketFrame>.AsyncIterator>) async throws -> T
    ) async throws -> T {
        switch try await WebClient.webSocket(port: port, path: path, subprotocol: "binary") {
        case .refused(let status):
            throw ProbeFailure("WebSocket upgrade at /\(path) refused\(status > 0 ? " (HTTP \(status))" : "")")
        case .upgraded(let channel, _):
            return try await channel.executeThenClose { inbound, outbound in
                switch try await RFBHandshake.open(reader: FrameReader(inbound.makeAsyncIterator()), outbound: outbound, password: password) {
                case .refused: throw ProbeFailure("the VNC server refused the password")
                case .accepted(var session): return try await body(&session)
                }
            }
        }
    }

    /// The VNC password the desktop probes authenticate with: the fixed one, the one given at boot, or nil (None).
    static func desktopPassword(_ access: AgentAccess.Desktop, credentials: TestCredentials?) throws -> String? {
        guard case .vncPassword(let fixed) = access else { return nil }
        guard let known = fixed ?? credentials?.desktopPassword else { throw FinalFailure("no VNC password to probe with") }
        return known
    }
}
