// One picture of a VNC desktop: RFB (RFC 6143) SetPixelFormat, SetEncodings [Raw, Cursor], a full
// FramebufferUpdateRequest, and the Raw rectangles of the answer painted into an RGB buffer.

/// The client messages and the decoding a desktop picture needs, as pure functions over bytes.
enum RFBFramebuffer {
    /// SetPixelFormat: 32 bits per pixel, depth 24, little-endian true colour, red at bit 16, green 8, blue 0.
    static let setPixelFormat: [UInt8] = [0, 0, 0, 0, 32, 24, 0, 1, 0, 255, 0, 255, 0, 255, 16, 8, 0, 0, 0, 0]
    /// The Cursor pseudo-encoding (RFC 6143 §7.8.1): the server sends the pointer's shape and leaves the pointer out
    /// of the framebuffer.
    static let cursor: Int32 = -239

    /// A PointerEvent (type 5, RFC 6143 §7.5.5): the pointer to `x`,`y`, no button pressed.
    static func pointerEvent(x: UInt16, y: UInt16) -> [UInt8] {
        [5, 0] + bigEndian(x) + bigEndian(y)
    }

    /// SetEncodings (type 2) with `encodings` in order of preference. The probes ask for Raw (0): every server can
    /// send it, and nothing needs decompressing; pseudo-encodings are added where a proof needs one.
    static func setEncodings(_ encodings: [Int32]) -> [UInt8] {
        var message: [UInt8] = [2, 0]
        message += bigEndian(UInt16(encodings.count))
        for encoding in encodings { message += bigEndian(UInt32(bitPattern: encoding)) }
        return message
    }

    /// A FramebufferUpdateRequest (type 3) for a region, by default the whole screen from the corner, non-incremental
    /// (everything in it is sent) unless `incremental` (only what changed).
    static func updateRequest(x: UInt16 = 0, y: UInt16 = 0, width: UInt16, height: UInt16, incremental: Bool = false) -> [UInt8] {
        var message: [UInt8] = [3, incremental ? 1 : 0]
        for value in [x, y, width, height] { message += bigEndian(value) }
        return message
    }

    /// A big-endian UInt16.
    static func bigEndian(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xFF)] }

    /// A big-endian UInt32.
    static func bigEndian(_ value: UInt32) -> [UInt8] { [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)] }

    /// The screen being painted: RGB bytes, row-major.
    struct Canvas: Sendable {
        let width: Int
        let height: Int
        private(set) var rgb: [UInt8]
        /// Pixels painted so far (rectangles may overlap; the update is complete when all are covered once).
        private(set) var painted = 0

        init(width: Int, height: Int) {
            self.width = width
            self.height = height
            rgb = [UInt8](repeating: 0, count: width * height * 3)
        }

        /// Paints one Raw rectangle of 4-byte little-endian pixels (B, G, R, unused), clipped to the screen.
        mutating func paint(x: Int, y: Int, width w: Int, height h: Int, pixels: [UInt8]) {
            precondition(pixels.count == w * h * 4)
            for row in 0..<h where y + row < height {
                for column in 0..<w where x + column < width {
                    let source = (row * w + column) * 4
                    let target = ((y + row) * width + x + column) * 3
                    rgb[target] = pixels[source + 2]
                    rgb[target + 1] = pixels[source + 1]
                    rgb[target + 2] = pixels[source]
                }
            }
            painted += w * h
        }

        /// The colour covering more than half of the screen, with its share (0…1); nil when no colour does (the
        /// screen is anything but blank). One majority-vote pass and one counting pass, without a table of colours.
        var dominantColour: (rgb: UInt32, share: Double)? {
            let count = width * height
            guard count > 0 else { return nil }
            func colour(_ pixel: Int) -> UInt32 { UInt32(rgb[pixel * 3]) << 16 | UInt32(rgb[pixel * 3 + 1]) << 8 | UInt32(rgb[pixel * 3 + 2]) }
            var candidate = colour(0)
            var votes = 0
            for pixel in 0..<count {
                let value = colour(pixel)
                if votes == 0 { candidate = value }
                votes += value == candidate ? 1 : -1
            }
            var same = 0
            for pixel in 0..<count where colour(pixel) == candidate { same += 1 }
            guard same * 2 > count else { return nil }
            return (candidate, Double(same) / Double(count))
        }

        /// Whether every pixel has one colour (a desktop still starting).
        var isUniform: Bool {
            guard rgb.count >= 3 else { return true }
            let first = (rgb[0], rgb[1], rgb[2])
            return stride(from: 0, to: rgb.count, by: 3).allSatisfy { (rgb[$0], rgb[$0 + 1], rgb[$0 + 2]) == first }
        }
    }
}
