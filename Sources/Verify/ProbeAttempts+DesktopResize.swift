// The desktop-resize proof: what noVNC does when the browser window changes size, over RFB through websockify.
import NIOWebSocket

extension ProbeAttempts {
    /// Announces ExtendedDesktopSize, reads the server's screen layout, asks with SetDesktopSize for another size,
    /// checks the reply (status 0, the new size) and that a full update of the new size covers exactly it, then
    /// asks for the old size back so the session is left as found.
    /// - Parameters:
    ///   - hostPort: websockify's host port.
    ///   - websocketPath: Its WebSocket path.
    ///   - password: The VNC password (nil: security type None).
    /// - Returns: The success detail.
    /// - Throws: ``FinalFailure`` when the server refuses resizing (no ExtendedDesktopSize, a non-zero status);
    ///   ``ProbeFailure`` when the conversation breaks off.
    static func desktopResize(hostPort: Int, websocketPath: String, password: String?) async throws -> String {
        try await withRFBSession(port: hostPort, path: websocketPath, password: password) { session -> String in
            try await session.configure(pseudoEncodings: [RFBDesktopSize.extendedDesktopSize])
            let layout = try await desktopLayout(&session, reply: false)
            let (oldWidth, oldHeight) = (UInt16(layout.width), UInt16(layout.height))
            let screens = layout.screens.count
            var detail = "ExtendedDesktopSize: \(oldWidth)x\(oldHeight), \(screens) screen\(screens == 1 ? "" : "s")"
            let target = RFBDesktopSize.otherSize(width: oldWidth, height: oldHeight)
            let asked = "SetDesktopSize \(target.width)x\(target.height)"
            try await session.send(RFBDesktopSize.setDesktopSize(width: target.width, height: target.height, keeping: layout.screens.first))
            let reply = try await desktopLayout(&session, reply: true)
            guard reply.y == 0 else {
                throw FinalFailure("\(detail); \(asked) answered status \(reply.y) (\(RFBDesktopSize.statusName(reply.y)))")
            }
            guard (reply.width, reply.height) == (Int(target.width), Int(target.height)) else {
                throw FinalFailure("\(detail); \(asked) answered status 0 but a framebuffer of \(reply.width)x\(reply.height)")
            }
            let restore = RFBDesktopSize.setDesktopSize(width: oldWidth, height: oldHeight, keeping: reply.screens.first ?? layout.screens.first)
            let rectangles: Int
            do {
                rectangles = try await fullUpdate(&session, width: target.width, height: target.height)
            } catch {
                // The session is left as found even when the proof fails after the resize (a retry then starts
                // from the same size).
                try await session.send(restore)
                throw error
            }
            detail += "; \(asked) → status 0, framebuffer \(target.width)x\(target.height) (\(rectangles) rectangle\(rectangles == 1 ? "" : "s"))"
            try await session.send(restore)
            let back = try await desktopLayout(&session, reply: true)
            detail += back.y == 0
                ? "; back to \(oldWidth)x\(oldHeight)"
                : "; asking for \(oldWidth)x\(oldHeight) back answered status \(back.y) (\(RFBDesktopSize.statusName(back.y)))"
            return detail
        }
    }

    /// Updates until one carries an ExtendedDesktopSize rectangle — with `reply`, one answering this client's
    /// SetDesktopSize (x-position 1). Before each update a non-incremental update of the corner pixel is asked for,
    /// so the server always has one to send (TigerVNC sends the layout alone in the answer to it).
    private static func desktopLayout<Iterator>(_ session: inout RFBSession<Iterator>, reply: Bool) async throws -> RFBRectangle {
        for round in 0..<20 {
            if round > 0 { try await Task.sleep(for: .milliseconds(500)) }
            try await session.send(RFBFramebuffer.updateRequest(width: 1, height: 1))
            let rectangles = try await nextUpdate(&session)
            let layouts = rectangles.filter { $0.encoding == RFBDesktopSize.extendedDesktopSize }
            if let found = layouts.first(where: { !reply || $0.x == RFBDesktopSize.reasonThisClient }) { return found }
        }
        if reply { throw ProbeFailure("the VNC server did not answer SetDesktopSize (no ExtendedDesktopSize reply in 20 updates)") }
        throw FinalFailure("the VNC server sent no ExtendedDesktopSize rectangle after the client announced it (-308): it does not support resizing from the browser")
    }

    /// The rectangles of the server's next FramebufferUpdate (other messages skipped).
    private static func nextUpdate<Iterator>(_ session: inout RFBSession<Iterator>) async throws -> [RFBRectangle] {
        while true {
            if case .framebufferUpdate(let rectangles) = try await session.next() { return rectangles }
        }
    }

    /// A non-incremental update of the whole `width`×`height` framebuffer: the first update with pixels must have
    /// them all inside it and cover it. TigerVNC answers a non-incremental request from a client that takes
    /// ExtendedDesktopSize with the screen layout alone and keeps the whole area as changed: an incremental request
    /// then brings the pixels (what noVNC does, too). Returns how many rectangles it took.
    private static func fullUpdate<Iterator>(_ session: inout RFBSession<Iterator>, width: UInt16, height: UInt16) async throws -> Int {
        for round in 0..<10 {
            try await session.send(RFBFramebuffer.updateRequest(width: width, height: height, incremental: round > 0))
            let raw = try await nextUpdate(&session).filter { $0.encoding == 0 }
            if raw.isEmpty { continue }
            var painted = 0
            for rectangle in raw {
                guard rectangle.x + rectangle.width <= Int(width), rectangle.y + rectangle.height <= Int(height) else {
                    throw FinalFailure(
                        "after the resize to \(width)x\(height) the server sent a rectangle \(rectangle.width)x\(rectangle.height) at \(rectangle.x),\(rectangle.y), outside it")
                }
                painted += rectangle.width * rectangle.height
            }
            guard painted >= Int(width) * Int(height) else {
                throw FinalFailure("after the resize to \(width)x\(height) a full update covered \(painted) of its \(Int(width) * Int(height)) pixels")
            }
            return raw.count
        }
        throw ProbeFailure("the VNC server sent no pixels for a full update of \(width)x\(height) after the resize (10 requests, the first non-incremental)")
    }
}
