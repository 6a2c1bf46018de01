// The desktop's X server admits only holders of the session's cookie: the image's real `lab-vnc` start script runs a
// real Xtigervnc on the host, and the X11 connection setup is tried with and without the cookie.
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import LabforgeRecipe
import ProcessRunner
import Testing
import TestSupport
@testable import Verify

private let haveTools = ["/usr/bin/Xtigervnc", "/usr/bin/xauth"].allSatisfy { FileManager.default.isExecutableFile(atPath: $0) }

/// The first byte of the X server's answer to a connection setup: 0 Failed, 1 Success, 2 Authenticate.
private func connectionSetup(display: Int, cookie: [UInt8]?) throws -> UInt8 {
    let socketFD = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    guard socketFD >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
    defer { close(socketFD) }
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    let path = Array("/tmp/.X11-unix/X\(display)".utf8CString)
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
        for (index, byte) in path.enumerated() where index < raw.count { raw[index] = UInt8(bitPattern: byte) }
    }
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socketFD, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
    }
    guard connected == 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
    func padded(_ bytes: [UInt8]) -> [UInt8] { bytes + Array(repeating: 0, count: (4 - bytes.count % 4) % 4) }
    func little(_ value: Int) -> [UInt8] { [UInt8(value & 0xFF), UInt8(value >> 8)] }
    let name = cookie == nil ? [] : Array("MIT-MAGIC-COOKIE-1".utf8)
    let data = cookie ?? []
    let request: [UInt8] = [0x6C, 0] + little(11) + little(0) + little(name.count) + little(data.count) + [0, 0] + padded(name) + padded(data)
    guard write(socketFD, request, request.count) == request.count else { throw POSIXError(.EIO) }
    var answer: UInt8 = 0xFF
    guard read(socketFD, &answer, 1) == 1 else { throw POSIXError(.EIO) }
    return answer
}

@Suite("the desktop's X display", .serialized, .enabled(if: haveTools && geteuid() == 0, "Xtigervnc or xauth not installed"))
struct DesktopXAuthorityTests {
    @Test("lab-vnc gives the X server a fresh cookie: a client without it is refused, the session's file admits")
    func cookieRequired() async throws {
        let home = try TemporaryDirectory(prefix: "labforge-xauth")
        let display = try TestDesktop.freeDisplay(in: 50..<100)
        let rfbPort = try LoopbackPorts.free(1)[0]
        let desktop = WebDesktop(display: display, geometry: "320x200", auth: .unauthenticated)
        // The script fixes the RFB port to 5900+display: point it at a free one instead.
        let script = desktop.script.replacingOccurrences(of: "'-rfbport' '\(desktop.vncPort)'", with: "'-rfbport' '\(rfbPort)'")
            .replacingOccurrences(of: "-rfbport \(desktop.vncPort)", with: "-rfbport \(rfbPort)")
        // The project's launcher: the script's group is ended whole and its end awaited with a limit.
        let server = try LongLivedChild.launch(["/bin/sh", "-c", script], environment: .exactly(["HOME": home.path, "PATH": "/usr/bin:/bin"]), name: "lab-vnc")
        defer {
            // SIGKILL, then the socket and lock file a killed X server leaves: before, every run left both, and after
            // 50 runs on one machine every display this test picks from was taken.
            _ = server.kill(waitingUpTo: 10)
            for leftover in ["/tmp/.X11-unix/X\(display)", "/tmp/.X\(display)-lock"] { try? FileManager.default.removeItem(atPath: leftover) }
        }
        let socketPath = "/tmp/.X11-unix/X\(display)"
        for _ in 0..<300 where !FileManager.default.fileExists(atPath: socketPath) { try await Task.sleep(for: .milliseconds(100)) }
        #expect(FileManager.default.fileExists(atPath: socketPath), "Xtigervnc did not open \(socketPath)")

        let authority = home.appending(WebDesktop.authorityFile)
        let attributes = try FileManager.default.attributesOfItem(atPath: authority)
        #expect((attributes[.posixPermissions] as? Int) == 0o600, "the authority file must be the user's alone")
        let listing = try await Command.check(["xauth", "-f", authority, "nlist"]).stdout
        // `ffff 0000 0002 3537 0012 <MIT-MAGIC-COOKIE-1> 0010 <cookie>`: any host name, this display.
        let fields = try #require(listing.split(separator: "\n").first?.split(separator: " ").map(String.init))
        #expect(fields.first == "ffff", "expected a host-independent (wild) entry: \(listing)")
        let hexCookie = try #require(fields.last)
        #expect(hexCookie.count == 32)
        var cookie: [UInt8] = []
        var index = hexCookie.startIndex
        while index < hexCookie.endIndex {
            let next = hexCookie.index(index, offsetBy: 2)
            cookie.append(try #require(UInt8(hexCookie[index..<next], radix: 16)))
            index = next
        }

        #expect(try connectionSetup(display: display, cookie: nil) == 0, "a client without the cookie must be refused")
        #expect(try connectionSetup(display: display, cookie: Array(repeating: 0x41, count: 16)) == 0, "a wrong cookie must be refused")
        #expect(try connectionSetup(display: display, cookie: cookie) == 1, "the session's cookie must be admitted")

        // The cookie is on no command line (ps): the X server's and any other process's.
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] where Int(entry) != nil {
            guard let arguments = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { continue }
            #expect(!String(decoding: arguments, as: UTF8.self).contains(hexCookie), "process \(entry) has the cookie on its command line")
        }
    }
}
