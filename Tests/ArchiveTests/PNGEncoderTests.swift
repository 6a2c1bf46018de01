// PNG files from PNGEncoder, read back by an independent decoder (Python's zlib, chunk CRCs and filter undone there).
import Archive
import Foundation
import Testing
import TestSupport

@Suite("PNG encoder")
struct PNGEncoderTests {
    static let decoder = """
        import sys, struct, zlib
        data = open(sys.argv[1], 'rb').read()
        assert data[:8] == b'\\x89PNG\\r\\n\\x1a\\n', 'signature'
        pos, chunks = 8, []
        while pos < len(data):
            length, kind = struct.unpack('>I4s', data[pos:pos+8]); body = data[pos+8:pos+8+length]
            (crc,) = struct.unpack('>I', data[pos+8+length:pos+12+length])
            assert crc == zlib.crc32(kind + body), 'crc of ' + kind.decode()
            chunks.append((kind, body)); pos += 12 + length
        assert [k for k, _ in chunks] == [b'IHDR', b'IDAT', b'IEND']
        w, h, depth, colour, _, _, interlace = struct.unpack('>IIBBBBB', chunks[0][1])
        assert (depth, colour, interlace) == (8, 2, 0)
        raw = zlib.decompress(chunks[1][1]); stride = w * 3; out = bytearray()
        for r in range(h):
            f = raw[r*(stride+1)]; line = bytearray(raw[r*(stride+1)+1:(r+1)*(stride+1)])
            assert f in (0, 1)
            if f == 1:
                for i in range(3, stride): line[i] = (line[i] + line[i-3]) & 0xff
            out += line
        sys.stdout.write('%dx%d %s' % (w, h, out.hex()))
        """

    @Test("an RGB picture decodes back to its pixels; a size that does not match the bytes is refused")
    func roundTrip() async throws {
        let (width, height) = (7, 5)
        var rgb: [UInt8] = []
        for y in 0..<height { for x in 0..<width { rgb += [UInt8(x * 30), UInt8(y * 50), UInt8((x * y * 13) & 0xFF)] } }
        let work = try TemporaryDirectory()
        let path = work.appending("p.png")
        try PNGEncoder.encode(rgb: rgb, width: width, height: height).write(to: URL(fileURLWithPath: path))
        let script = work.appending("decode.py")
        try Self.decoder.write(toFile: script, atomically: true, encoding: .utf8)
        let decoded = try await Command.run(["python3", script, path])
        #expect(decoded.status == 0, "\(decoded.stderr)")
        #expect(decoded.stdout == "7x5 " + rgb.map { String(format: "%02x", $0) }.joined())
        #expect(throws: ArchiveError.self) { try PNGEncoder.encode(rgb: rgb, width: 8, height: 5) }
        #expect(throws: ArchiveError.self) { try PNGEncoder.encode(rgb: [], width: 0, height: 0) }
    }
}
