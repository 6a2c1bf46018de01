// One picture of a VNC desktop: RFB (RFC 6143) SetPixelFormat, SetEncodings [Raw], a full FramebufferUpdateRequest,
// and the Raw rectangles of the answer painted into an RGB buffer.

/// The client messages and the decoding a desktop picture needs, as pure functions over bytes.
enum RFBFramebuffer {
    /// SetPixelFormat: 32 bits per pixel, depth 24, little-endian true colour, red at bit 16, green 8, blue 0.
    static let setPixelFormat: [UInt8] = [0, 0, 0, 0, 32, 24, 0, 1, 0, 255, 0, 255, 0, 255, 16, 8, 0, 0, 0, 0]
    /// SetEncodings with Raw (0) only: every server can send it, and nothing needs decompressing.
    static let setEncodingsRaw: [UInt8] = [2, 0, 0, 1, 0, 0, 0, 0]

    /// A non-incremental FramebufferUpdateRequest for the whole screen.
    static func updateRequest(width: UInt16, height: UInt16) -> [UInt8] {
        [3, 0, 0, 0, 0, 0, UInt8(width >> 8), UInt8(width & 0xFF), UInt8(height >> 8), UInt8(height & 0xFF)]
    }

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

        /// Whether every pixel has one colour (a desktop still starting).
        var isUniform: Bool {
            guard rgb.count >= 3 else { return true }
            let first = (rgb[0], rgb[1], rgb[2])
            return stride(from: 0, to: rgb.count, by: 3).allSatisfy { (rgb[$0], rgb[$0 + 1], rgb[$0 + 2]) == first }
        }
    }
}
