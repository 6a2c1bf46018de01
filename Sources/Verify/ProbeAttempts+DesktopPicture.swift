// The desktop picture of the web-desktop probe: full-screen Raw framebuffer updates read through websockify.

extension ProbeAttempts {
    /// Full-screen Raw updates until the screen is not one colour (the session may still be drawing), at most 5, 3 s apart.
    static func desktopPicture<Iterator>(session: inout RFBSession<Iterator>) async throws -> RFBFramebuffer.Canvas {
        try await session.configure()
        var canvas = RFBFramebuffer.Canvas(width: Int(session.server.width), height: Int(session.server.height))
        for attempt in 0..<5 {
            if attempt > 0 { try await Task.sleep(for: .seconds(3)) }
            canvas = try await screenshot(session: &session, width: session.server.width, height: session.server.height)
            if !canvas.isUniform { break }
        }
        return canvas
    }

    /// One full-screen non-incremental Raw update of a `width`×`height` framebuffer, painted; cut text and other
    /// messages that come in between are skipped. The session must have been ``RFBSession/configure(pseudoEncodings:)``d.
    static func screenshot<Iterator>(session: inout RFBSession<Iterator>, width: UInt16, height: UInt16) async throws -> RFBFramebuffer.Canvas {
        var canvas = RFBFramebuffer.Canvas(width: Int(width), height: Int(height))
        try await session.send(RFBFramebuffer.updateRequest(width: width, height: height))
        while canvas.painted < canvas.width * canvas.height {
            guard case .framebufferUpdate(let rectangles) = try await session.next() else { continue }
            for rectangle in rectangles where rectangle.encoding == 0 {
                canvas.paint(x: rectangle.x, y: rectangle.y, width: rectangle.width, height: rectangle.height, pixels: rectangle.pixels)
            }
        }
        return canvas
    }
}
