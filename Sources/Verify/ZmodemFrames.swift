// The start of a ZMODEM transfer as a terminal sees it (lrzsz's sz and rz): hex headers `**` ZDLE `B` and the frame
// type in two hex digits — ZRQINIT (00) from a sender, ZRINIT (01) from a receiver — which a browser terminal with
// ZMODEM support (ttyd's enableZmodem) answers with its download or upload dialog.

/// Detection of ZMODEM's opening headers in terminal output, and the sequence that aborts a transfer.
enum ZmodemFrames {
    /// ZDLE, ZMODEM's escape byte (also CAN, ^X).
    static let zdle: UInt8 = 0x18

    /// A ZMODEM frame type that opens a transfer.
    enum Opening: String, Sendable, Equatable {
        /// ZRQINIT: `sz` asks the other side to receive.
        case zrqinit = "ZRQINIT"
        /// ZRINIT: `rz` is ready to receive.
        case zrinit = "ZRINIT"

        /// The hex header's first bytes: `**`, ZDLE, `B`, the type in hex.
        var header: [UInt8] {
            Array("**".utf8) + [ZmodemFrames.zdle, UInt8(ascii: "B"), UInt8(ascii: "0"), UInt8(ascii: self == .zrqinit ? "0" : "1")]
        }
    }

    /// Whether `output` holds `opening`'s hex header.
    /// - Parameters:
    ///   - opening: The frame expected.
    ///   - output: Terminal output bytes.
    /// - Returns: True when the header is there.
    static func contains(_ opening: Opening, in output: [UInt8]) -> Bool {
        let header = opening.header
        guard output.count >= header.count else { return false }
        return (0...(output.count - header.count)).contains { start in output[start..<start + header.count].elementsEqual(header) }
    }

    /// What a user's terminal sends to abort a transfer: eight CANs (lrzsz gives up after five), eight backspaces
    /// to erase them should they reach the shell, then a newline for a fresh prompt.
    static let abort: [UInt8] = Array(repeating: 0x18, count: 8) + Array(repeating: 0x08, count: 8) + [0x0D]
}
