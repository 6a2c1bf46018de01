// The desktop picture of the web-desktop probe: full-screen Raw framebuffer updates read through websockify.
import NIOCore
import NIOWebSocket

extension ProbeAttempts {
    /// Full-screen Raw updates until the screen is not one colour (the session may still be drawing), at most 5, 3 s apart.
    static func desktopPicture<Iterator>(
        width: UInt16, height: UInt16, reader: inout FrameReader<Iterator>, outbound: NIOAsyncChannelOutboundWriter<WebSocketFrame>
    ) async throws -> RFBFramebuffer.Canvas {
        try await outbound.write(WebClient.clientFrame(RFBFramebuffer.setPixelFormat))
        try await outbound.write(WebClient.clientFrame(RFBFramebuffer.setEncodingsRaw))
        var canvas = RFBFramebuffer.Canvas(width: Int(width), height: Int(height))
        for attempt in 0..<5 {
            if attempt > 0 { try await Task.sleep(for: .seconds(3)) }
            canvas = RFBFramebuffer.Canvas(width: Int(width), height: Int(height))
            try await outbound.write(WebClient.clientFrame(RFBFramebuffer.updateRequest(width: width, height: height)))
            while canvas.painted < canvas.width * canvas.height {
                let type = try await reader.read(1)[0]
                switch type {
                case 0:  // FramebufferUpdate
                    let header = try await reader.read(3)
                    for _ in 0..<Int(RFBHandshake.uint16(header, at: 1)) {
                        let rect = try await reader.read(12)
                        let (x, y) = (Int(RFBHandshake.uint16(rect, at: 0)), Int(RFBHandshake.uint16(rect, at: 2)))
                        let (w, h) = (Int(RFBHandshake.uint16(rect, at: 4)), Int(RFBHandshake.uint16(rect, at: 6)))
                        let encoding = Int32(bitPattern: RFBHandshake.uint32(rect, at: 8))
                        guard encoding == 0 else { throw ProbeFailure("the VNC server sent encoding \(encoding), not the Raw asked for") }
                        canvas.paint(x: x, y: y, width: w, height: h, pixels: try await reader.read(w * h * 4))
                    }
                case 1:  // SetColourMapEntries (not used with true colour): skip
                    let header = try await reader.read(5)
                    _ = try await reader.read(Int(RFBHandshake.uint16(header, at: 3)) * 6)
                case 2:  // Bell
                    continue
                case 3:  // ServerCutText
                    let header = try await reader.read(7)
                    _ = try await reader.read(Int(RFBHandshake.uint32(header, at: 3)))
                default:
                    throw ProbeFailure("unexpected RFB server message type \(type)")
                }
            }
            if !canvas.isUniform { break }
        }
        return canvas
    }
}
