// Plain RFB cut text (RFC 6143 §7.5.6 ClientCutText, §7.6.4 ServerCutText): Latin-1 text, what old and new VNC
// servers both speak. The Extended Clipboard pseudo-encoding is never announced, so the server keeps to it.

/// The clipboard messages of the clipboard proof.
enum RFBCutText {
    /// ClientCutText (type 6) carrying `text` as Latin-1.
    /// - Parameter text: ASCII or Latin-1 text (other characters become `?`).
    /// - Returns: The message bytes.
    static func clientCutText(_ text: String) -> [UInt8] {
        let latin1 = text.unicodeScalars.map { $0.value < 256 ? UInt8($0.value) : UInt8(ascii: "?") }
        var message: [UInt8] = [6, 0, 0, 0]
        message += RFBFramebuffer.bigEndian(UInt32(latin1.count))
        return message + latin1
    }

    /// ServerCutText's Latin-1 bytes as text.
    static func text(_ latin1: [UInt8]) -> String {
        String(String.UnicodeScalarView(latin1.map { Unicode.Scalar($0) }))
    }
}
