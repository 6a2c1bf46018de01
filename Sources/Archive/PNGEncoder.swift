// PNG files (ISO/IEC 15948) from 8-bit RGB pixels: the pictures verification takes of a desktop.
import CZlib
import Foundation

/// Encodes truecolour pixels as a PNG: IHDR, one zlib IDAT (each row with the Sub filter), IEND.
public enum PNGEncoder {
    /// The 8-byte PNG signature.
    static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// Encodes `rgb` (row-major, 3 bytes per pixel, no padding).
    /// - Parameters:
    ///   - rgb: `width * height * 3` bytes.
    ///   - width: Pixels per row (> 0).
    ///   - height: Rows (> 0).
    /// - Returns: The PNG file's bytes.
    /// - Throws: ``ArchiveError/zlib(call:code:)`` when compression fails, or when the size does not match
    ///   (`Z_DATA_ERROR`).
    public static func encode(rgb: [UInt8], width: Int, height: Int) throws -> Data {
        guard width > 0, height > 0, width <= 1 << 16, height <= 1 << 16, rgb.count == width * height * 3 else {
            throw ArchiveError.zlib(call: "png: \(width)x\(height) with \(rgb.count) bytes", code: Z_DATA_ERROR)
        }
        // Sub filter: each byte minus the same channel of the pixel to its left (desktops have long flat runs).
        let stride = width * 3
        var filtered = [UInt8](repeating: 0, count: (stride + 1) * height)
        for row in 0..<height {
            let source = row * stride
            let target = row * (stride + 1)
            filtered[target] = 1
            for column in 0..<stride {
                let left = column >= 3 ? rgb[source + column - 3] : 0
                filtered[target + 1 + column] = rgb[source + column] &- left
            }
        }
        var compressedSize = compressBound(uLong(filtered.count))
        var compressed = [UInt8](repeating: 0, count: Int(compressedSize))
        let rc = compress2(&compressed, &compressedSize, filtered, uLong(filtered.count), 6)
        guard rc == Z_OK else { throw ArchiveError.zlib(call: "compress2", code: rc) }

        var png = Data(signature)
        var header = Data()
        header.append(bigEndian: UInt32(width))
        header.append(bigEndian: UInt32(height))
        header.append(contentsOf: [8, 2, 0, 0, 0])  // 8-bit, truecolour, deflate, adaptive filtering, no interlace
        appendChunk("IHDR", header, to: &png)
        appendChunk("IDAT", Data(compressed[0..<Int(compressedSize)]), to: &png)
        appendChunk("IEND", Data(), to: &png)
        return png
    }

    /// Length, type, data, CRC-32 of type and data.
    private static func appendChunk(_ type: String, _ data: Data, to png: inout Data) {
        png.append(bigEndian: UInt32(data.count))
        var body = Data(type.utf8)
        body.append(data)
        png.append(body)
        let crc = body.withUnsafeBytes { crc32(0, $0.bindMemory(to: Bytef.self).baseAddress, uInt($0.count)) }
        png.append(bigEndian: UInt32(crc))
    }
}

extension Data {
    fileprivate mutating func append(bigEndian value: UInt32) {
        append(contentsOf: [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)])
    }
}
