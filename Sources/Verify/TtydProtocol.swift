// ttyd's WebSocket message framing (subprotocol `tty`): one type byte, then the payload.
import Foundation

/// Messages between a browser and ttyd, as ttyd 1.7 frames them on the `tty` WebSocket.
public enum TtydProtocol {
    /// A message from ttyd to the browser.
    public enum ServerMessage: Equatable, Sendable {
        /// `'0'`: terminal output bytes.
        case output([UInt8])
        /// `'1'`: the window title (e.g. `/bin/bash --login (lab)`).
        case title(String)
        /// `'2'`: client preferences as JSON.
        case preferences(String)
        /// Anything else.
        case unknown([UInt8])
    }

    /// The first message a client sends: auth token and terminal size as JSON. ttyd starts the command only after it.
    /// - Parameters:
    ///   - columns: Terminal width.
    ///   - rows: Terminal height.
    ///   - token: ttyd's auth token (empty when ttyd runs without `--credential`).
    /// - Returns: The message bytes.
    public static func initialMessage(columns: Int = 80, rows: Int = 24, token: String = "") -> [UInt8] {
        let escaped = token.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        return Array("{\"AuthToken\":\"\(escaped)\",\"columns\":\(columns),\"rows\":\(rows)}".utf8)
    }

    /// Keyboard input for the terminal: `'0'` then the bytes.
    /// - Parameter text: What the user types (end a command with `\r`).
    /// - Returns: The message bytes.
    public static func input(_ text: String) -> [UInt8] {
        input(bytes: Array(text.utf8))
    }

    /// Keyboard input as bytes (control characters such as ZMODEM's CAN): `'0'` then the bytes.
    /// - Parameter bytes: What the user types.
    /// - Returns: The message bytes.
    public static func input(bytes: [UInt8]) -> [UInt8] {
        Array("0".utf8) + bytes
    }

    /// The client option `-t enableZmodem=true` gives ttyd: sent in its preferences message as JSON `true`.
    public static let zmodemPreference = "enableZmodem"

    /// Whether ttyd's preferences JSON (the `'2'` message it sends on connect: its `-t key=value` client options)
    /// enables ZMODEM in the browser's terminal.
    /// - Parameter preferences: The JSON text.
    /// - Returns: True when `enableZmodem` is `true`.
    public static func enablesZmodem(_ preferences: String) -> Bool {
        guard let object = try? JSONSerialization.jsonObject(with: Data(preferences.utf8)) as? [String: Any] else { return false }
        return (object[zmodemPreference] as? Bool) == true
    }

    /// Decodes one message from ttyd.
    /// - Parameter bytes: A WebSocket frame's payload.
    /// - Returns: The message.
    public static func decode(_ bytes: [UInt8]) -> ServerMessage {
        guard let type = bytes.first else { return .unknown([]) }
        let payload = Array(bytes.dropFirst())
        switch type {
        case UInt8(ascii: "0"): return .output(payload)
        case UInt8(ascii: "1"): return .title(String(decoding: payload, as: UTF8.self))
        case UInt8(ascii: "2"): return .preferences(String(decoding: payload, as: UTF8.self))
        default: return .unknown(bytes)
        }
    }

    /// The command the probe types, and what its output must contain: the shell computes 6×7, so the typed
    /// text (echoed by the terminal) never matches by itself.
    public static let probeCommand = "echo LABFORGE_PROBE_$((6*7))\r"
    /// The expected output of ``probeCommand``.
    public static let probeAnswer = "LABFORGE_PROBE_42"
}

/// The RFB (VNC) protocol version banner a server sends first, e.g. `RFB 003.008\n`.
public struct RFBBanner: Equatable, Sendable {
    /// Major version (3).
    public var major: Int
    /// Minor version (3, 7 or 8).
    public var minor: Int

    /// Parses the 12-byte banner.
    /// - Parameter bytes: At least the first 12 bytes from the server.
    /// - Returns: The version, or nil when the bytes are not an RFB banner.
    public init?(_ bytes: [UInt8]) {
        guard bytes.count >= 12 else { return nil }
        let text = String(decoding: bytes.prefix(12), as: UTF8.self)
        guard text.hasPrefix("RFB "), text.hasSuffix("\n"), text.count == 12 else { return nil }
        let digits = text.dropFirst(4).dropLast()
        let parts = digits.split(separator: ".")
        guard parts.count == 2, parts.allSatisfy({ $0.count == 3 }), let major = Int(parts[0]), let minor = Int(parts[1]) else { return nil }
        self.major = major
        self.minor = minor
    }

    /// The banner as the server wrote it, without the newline (`RFB 003.008`).
    public var text: String {
        "RFB " + String(repeating: "0", count: 3 - String(major).count) + String(major) + "."
            + String(repeating: "0", count: 3 - String(minor).count) + String(minor)
    }
}
