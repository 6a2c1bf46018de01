// Starts Debian's docker-registry on 127.0.0.1 at a free port with temp storage for a test, and stops it.
#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A real OCI registry (distribution 2.8, `docker-registry` package) owned by one test.
public final class LocalRegistry: @unchecked Sendable {
    /// How clients must authenticate.
    public enum Authentication: Sendable {
        /// Anonymous.
        case none
        /// HTTP basic against an htpasswd file (bcrypt entries, `htpasswd -B`).
        case htpasswd(path: String)
        /// The bearer-token flow: tokens from `realm`, signed by a key whose certificate is in `rootCertBundle`.
        case token(realm: String, service: String, issuer: String, rootCertBundle: String)
    }

    /// The port it listens on.
    public let port: Int
    /// `127.0.0.1:<port>`.
    public var address: String { "127.0.0.1:\(port)" }
    /// The scratch directory with config, storage and log.
    public let directory: TemporaryDirectory
    /// The registry's log file.
    public var logPath: String { directory.appending("registry.log") }
    /// Where blobs are stored.
    public var storagePath: String { directory.appending("storage") }
    private let process: Process

    /// Starts a registry and waits until it accepts connections.
    /// - Parameter authentication: How clients must authenticate.
    /// - Throws: When docker-registry cannot start.
    public init(authentication: Authentication = .none) throws {
        directory = try TemporaryDirectory(prefix: "labforge-registry")
        var lastError = "not started"
        for _ in 0..<5 {
            let port = try FreePort.find()
            let config = directory.appending("config.yml")
            try Self.config(port: port, storage: directory.appending("storage"), authentication: authentication)
                .write(toFile: config, atomically: true, encoding: .utf8)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/docker-registry")
            process.arguments = ["serve", config]
            try Data().write(to: URL(fileURLWithPath: directory.appending("registry.log")))
            let log = try FileHandle(forWritingTo: URL(fileURLWithPath: directory.appending("registry.log")))
            process.standardOutput = log
            process.standardError = log
            process.standardInput = FileHandle.nullDevice
            try process.run()
            if FreePort.waitUntilListening(port: port, while: { process.isRunning }) {
                self.port = port
                self.process = process
                return
            }
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
            lastError = (try? String(contentsOfFile: directory.appending("registry.log"), encoding: .utf8)) ?? "no log"
        }
        throw CommandFailure(
            command: ["docker-registry", "serve"],
            result: CommandResult(status: -1, stdout: "", stderr: lastError, stdoutData: Data(), seconds: 0))
    }

    static func config(port: Int, storage: String, authentication: Authentication) -> String {
        var yaml = """
            version: 0.1
            log:
              level: info
              accesslog:
                disabled: false
            storage:
              filesystem:
                rootdirectory: \(storage)
              delete:
                enabled: true
              maintenance:
                uploadpurging:
                  enabled: false
            http:
              addr: 127.0.0.1:\(port)

            """
        switch authentication {
        case .none:
            break
        case .htpasswd(let path):
            yaml += """
                auth:
                  htpasswd:
                    realm: labforge-test
                    path: \(path)

                """
        case .token(let realm, let service, let issuer, let bundle):
            yaml += """
                auth:
                  token:
                    realm: \(realm)
                    service: \(service)
                    issuer: \(issuer)
                    rootcertbundle: \(bundle)

                """
        }
        return yaml
    }

    /// Stops the registry (idempotent).
    public func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }

    deinit {
        stop()
        directory.remove()
    }
}

/// Free TCP ports on 127.0.0.1 and waiting for listeners.
public enum FreePort {
    /// A port the kernel just handed out (bind to 0, read it back, close).
    /// - Returns: The port.
    /// - Throws: When no socket can be made.
    public static func find() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EMFILE) }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Int32 in
                guard bind(fd, pointer, length) == 0 else { return -1 }
                return getsockname(fd, pointer, &length)
            }
        }
        guard bound == 0 else { throw POSIXError(.EADDRINUSE) }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Polls until something accepts connections on 127.0.0.1:`port`.
    /// - Parameters:
    ///   - port: The port.
    ///   - timeout: Seconds to wait.
    ///   - alive: Stop early when this turns false (the server died).
    /// - Returns: Whether the port answered.
    public static func waitUntilListening(port: Int, timeout: Double = 15, while alive: () -> Bool = { true }) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline, alive() {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            close(fd)
            if connected == 0 { return true }
            usleep(50_000)
        }
        return false
    }
}
