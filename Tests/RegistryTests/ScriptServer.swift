// Runs a small Python fixture server (fault proxy, token endpoint) from Fixtures/ on 127.0.0.1 and stops it.
import Foundation
import TestSupport

/// A fixture server that did not report its port.
struct ScriptServerFailure: Error, CustomStringConvertible {
    var script: String
    var output: String
    var description: String { "Fixtures/\(script) did not print LISTENING <port>; it printed: \(output)" }
}

/// A fixture server process that prints `LISTENING <port>` once ready.
final class ScriptServer: @unchecked Sendable {
    let port: Int
    private let process: Process
    var address: String { "127.0.0.1:\(port)" }

    /// The path of a committed fixture script.
    static func fixture(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/\(name)").path
    }

    /// Starts `python3 Fixtures/<script> <arguments>` and waits for its port.
    init(script: String, arguments: [String]) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Self.fixture(script)] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.standardError
        process.standardInput = FileHandle.nullDevice
        try process.run()
        var line = Data()
        let reader = output.fileHandleForReading
        let deadline = Date().addingTimeInterval(20)
        while !line.contains(0x0A), Date() < deadline, process.isRunning {
            let chunk = reader.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        let text = String(decoding: line, as: UTF8.self)
        guard text.hasPrefix("LISTENING "), let port = Int(text.dropFirst(10).prefix(while: \.isNumber)) else {
            if process.isRunning { process.terminate() }
            throw ScriptServerFailure(script: script, output: text)
        }
        self.port = port
    }

    /// GETs a JSON document from the server.
    func json(_ path: String) async throws -> [String: Any] {
        let result = try await Command.check(["curl", "-sf", "http://\(address)\(path)"])
        return (try JSONSerialization.jsonObject(with: result.stdoutData)) as? [String: Any] ?? [:]
    }

    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(3)
        while process.isRunning, Date() < deadline { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    deinit { stop() }
}
