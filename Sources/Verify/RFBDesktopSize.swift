// Resizing a VNC desktop from the client: the ExtendedDesktopSize pseudo-encoding and the SetDesktopSize message of
// the RFB community extensions (rfbproto.rst: "ExtendedDesktopSize Pseudo-encoding", "SetDesktopSize"), as pure
// functions over bytes.

/// ExtendedDesktopSize (-308) and SetDesktopSize (client message 251).
enum RFBDesktopSize {
    /// The ExtendedDesktopSize pseudo-encoding: the client can take screen layouts and ask for new ones.
    static let extendedDesktopSize: Int32 = -308
    /// The older DesktopSize pseudo-encoding (a size change without a layout).
    static let desktopSize: Int32 = -223

    /// One screen of a layout: 16 bytes on the wire (id, position, size, flags).
    struct Screen: Sendable, Equatable {
        var id: UInt32
        var x, y, width, height: UInt16
        var flags: UInt32
    }

    /// The reason in an ExtendedDesktopSize rectangle's x-position: 1 is "this client asked".
    static let reasonThisClient = 1

    /// The screens of an ExtendedDesktopSize rectangle's payload (after its number-of-screens and padding).
    static func screens(_ bytes: [UInt8]) -> [Screen] {
        stride(from: 0, to: bytes.count - 15, by: 16).map { offset in
            Screen(
                id: RFBHandshake.uint32(bytes, at: offset), x: RFBHandshake.uint16(bytes, at: offset + 4), y: RFBHandshake.uint16(bytes, at: offset + 6),
                width: RFBHandshake.uint16(bytes, at: offset + 8), height: RFBHandshake.uint16(bytes, at: offset + 10),
                flags: RFBHandshake.uint32(bytes, at: offset + 12))
        }
    }

    /// SetDesktopSize: the whole framebuffer `width`×`height` as one screen, keeping the id and flags of the first
    /// screen the server reported (a new id would ask for another monitor).
    /// - Parameters:
    ///   - width: The new width.
    ///   - height: The new height.
    ///   - screen: The server's first screen, if it reported one.
    /// - Returns: The message bytes.
    static func setDesktopSize(width: UInt16, height: UInt16, keeping screen: Screen?) -> [UInt8] {
        let size = RFBFramebuffer.bigEndian(width) + RFBFramebuffer.bigEndian(height)
        var message: [UInt8] = [251, 0]
        message += size
        message += [1, 0]  // one screen, padding
        message += RFBFramebuffer.bigEndian(screen?.id ?? 0)
        message += [0, 0, 0, 0]  // at 0,0
        message += size
        message += RFBFramebuffer.bigEndian(screen?.flags ?? 0)
        return message
    }

    /// The statuses of an ExtendedDesktopSize reply (its y-position), as the extension names them.
    static let statusNames = [
        0: "no error", 1: "resize is administratively prohibited", 2: "out of resources", 3: "invalid screen layout",
        4: "request forwarded (might complete asynchronously)",
    ]

    /// A reply's status in words.
    static func statusName(_ status: Int) -> String { statusNames[status] ?? "unknown status" }

    /// A size different from `width`×`height` to ask for: 1024x700, or 1280x800 when the screen is already 1024x700.
    static func otherSize(width: UInt16, height: UInt16) -> (width: UInt16, height: UInt16) {
        (width, height) == (1024, 700) ? (1280, 800) : (1024, 700)
    }
}
