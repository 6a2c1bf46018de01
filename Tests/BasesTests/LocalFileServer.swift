// A small HTTP file server run by the tests (Python's http.server), with Range, a cut mode and a request log.
import Foundation
import TestSupport

/// Serves a directory on 127.0.0.1 at a free port until ``stop()``.
///
/// Paths: `/<file>` serves with Range support; `/cut/<file>` sends the headers and half the body of
/// the first full request and then drops the connection (a real cut, not a mock); `/slow/<file>`
/// trickles the body so two clients overlap; `/stall/<file>` sends half the body of the first full request and
/// then goes silent for 60 s with the connection open (a server that hangs mid-body); any other path with folders is served from the same
/// folders (`/debian/dists/trixie/InRelease`). Every request is logged as one JSON line.
final class LocalFileServer: @unchecked Sendable {
    let directory: TemporaryDirectory
    let port: Int
    private let process: Process
    private let logPath: String

    /// One logged request.
    struct Request: Decodable {
        var method: String
        var path: String
        var range: String?
    }

    init() throws {
        directory = try TemporaryDirectory(prefix: "labforge-http")
        let script = directory.appending("server.py")
        try Self.script.write(toFile: script, atomically: true, encoding: .utf8)
        let root = directory.appending("files")
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        logPath = directory.appending("requests.jsonl")
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [script, root, logPath]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        // The first line the server prints is its port.
        var line = Data()
        while true {
            let byte = out.fileHandleForReading.readData(ofLength: 1)
            if byte.isEmpty || byte == Data("\n".utf8) { break }
            line.append(byte)
        }
        guard let port = Int(String(decoding: line, as: UTF8.self)) else {
            process.terminate()
            throw CocoaError(.fileReadUnknown)
        }
        self.port = port
    }

    /// Stops the server (by its process).
    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        directory.remove()
    }

    deinit { stop() }

    /// Where files to serve go.
    func file(_ name: String) -> String { directory.appending("files/\(name)") }

    /// URL of a served file, optionally in `cut` or `slow` mode.
    func url(_ name: String, mode: String? = nil) -> String {
        "http://127.0.0.1:\(port)/" + (mode.map { "\($0)/" } ?? "") + name
    }

    /// Requests so far.
    func requests() -> [Request] {
        guard let text = try? String(contentsOfFile: logPath, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { try? JSONDecoder().decode(Request.self, from: Data($0.utf8)) }
    }

    private static let script = #"""
    import http.server, json, os, signal, sys, threading, time

    # The test runner's threads block signals and children inherit the mask: unblock, so stop() works.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, range(1, signal.NSIG))
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    root, log_path = sys.argv[1], sys.argv[2]
    lock = threading.Lock()
    cut_done = set()
    stall_done = set()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_GET(self):
            parts = self.path.lstrip("/").split("/")
            mode = parts[0] if len(parts) > 1 and parts[0] in ("cut", "slow", "stall") else None
            name = parts[-1]
            with lock:
                with open(log_path, "a") as log:
                    log.write(json.dumps({"method": "GET", "path": self.path, "range": self.headers.get("Range")}) + "\n")
            # Other paths with folders are served from the same folders below root (a mirror's dists/).
            path = os.path.join(root, name if mode else os.path.normpath("/".join(p for p in parts if p not in ("", "..", "."))))
            if not os.path.isfile(path):
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            data = open(path, "rb").read()
            start = 0
            rng = self.headers.get("Range")
            if rng and rng.startswith("bytes="):
                start = int(rng[6:].split("-")[0])
                if start >= len(data):
                    self.send_response(416)
                    self.send_header("Content-Range", "bytes */%d" % len(data))
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(206)
                self.send_header("Content-Range", "bytes %d-%d/%d" % (start, len(data) - 1, len(data)))
            else:
                self.send_response(200)
            body = data[start:]
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Content-Type", "application/octet-stream")
            self.end_headers()
            if mode == "cut" and start == 0 and name not in cut_done:
                cut_done.add(name)
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(2)
                return
            if mode == "stall" and start == 0 and name not in stall_done:
                stall_done.add(name)
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                time.sleep(60)
                self.close_connection = True
                return
            if mode == "slow":
                step = max(1, len(body) // 20)
                for offset in range(0, len(body), step):
                    self.wfile.write(body[offset:offset + step])
                    self.wfile.flush()
                    time.sleep(0.05)
                return
            self.wfile.write(body)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()
    """#
}
