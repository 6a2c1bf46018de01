// The RFB 3.8 handshake after the banner: security types, VNC authentication, SecurityResult, ServerInit.
import COpenSSL

/// RFB (RFC 6143) messages of the handshake, as pure functions over bytes.
enum RFBHandshake {
    /// Security type None.
    static let none: UInt8 = 1
    /// Security type VNC Authentication.
    static let vncAuthentication: UInt8 = 2

    /// The client's version answer.
    static let clientVersion = Array("RFB 003.008\n".utf8)

    /// The response to a VNC authentication challenge: the challenge DES-encrypted with the password's first
    /// 8 bytes (zero-padded), each key byte's bits reversed (RFB's historical quirk).
    /// - Parameters:
    ///   - challenge: The server's 16 random bytes.
    ///   - password: The password.
    /// - Returns: 16 bytes.
    static func vncResponse(challenge: [UInt8], password: String) -> [UInt8] {
        precondition(challenge.count == 16)
        var key = Array(password.utf8.prefix(8))
        key += Array(repeating: 0, count: 8 - key.count)
        key = key.map(reverseBits)
        var output = [UInt8](repeating: 0, count: 16)
        labforge_des_ecb_encrypt16(key, challenge, &output)
        return output
    }

    static func reverseBits(_ byte: UInt8) -> UInt8 {
        var value = byte
        var result: UInt8 = 0
        for _ in 0..<8 {
            result = (result << 1) | (value & 1)
            value >>= 1
        }
        return result
    }

    /// Names of security types for reports.
    static func name(_ type: UInt8) -> String {
        switch type {
        case 1: return "None"
        case 2: return "VncAuth"
        case 16: return "Tight"
        case 18: return "TLS"
        case 19: return "VeNCrypt"
        default: return "type \(type)"
        }
    }

    /// A big-endian UInt32 at `offset`.
    static func uint32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        bytes[offset..<offset + 4].reduce(0) { $0 << 8 | UInt32($1) }
    }

    /// A big-endian UInt16 at `offset`.
    static func uint16(_ bytes: [UInt8], at offset: Int) -> UInt16 {
        UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }
}
