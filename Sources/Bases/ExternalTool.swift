// Runs the external programs bases need (mmdebstrap, qemu-img, xz, gzip) and turns failures into errors.
import Foundation

/// One external program, found in PATH, with the Debian package that provides it.
struct ExternalTool: Sendable {
    /// Program name.
    var name: String
    /// Debian package to install when it is missing.
    var package: String

    static let mmdebstrap = ExternalTool(name: "mmdebstrap", package: "mmdebstrap")
    static let qemuImg = ExternalTool(name: "qemu-img", package: "qemu-utils")
    static let xz = ExternalTool(name: "xz", package: "xz-utils")
    static let gzip = ExternalTool(name: "gzip", package: "gzip")
    static let sfdisk = ExternalTool(name: "sfdisk", package: "fdisk")
    static let mke2fs = ExternalTool(name: "mke2fs", package: "e2fsprogs")
    static let extlinux = ExternalTool(name: "extlinux", package: "extlinux")
    static let mount = ExternalTool(name: "mount", package: "mount")
    static let umount = ExternalTool(name: "umount", package: "mount")

    /// The absolute path of the program.
    func executable() throws -> URL {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"
        let directories = path.split(separator: ":").map(String.init) + ["/usr/sbin", "/sbin"]
        for directory in directories {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return URL(fileURLWithPath: candidate) }
        }
        throw BasesError.toolMissing(tool: name, package: package)
    }

    /// Runs the program to completion off the cooperative thread pool.
    /// - Parameters:
    ///   - arguments: Arguments.
    ///   - environment: Extra environment variables.
    ///   - standardInput: A file read as standard input (`nil`: /dev/null).
    ///   - standardOutput: Where standard output goes (`nil`: captured with standard error for errors).
    ///   - output: Receives each chunk of combined output (build log).
    /// - Returns: The captured output.
    /// - Throws: ``BasesError/toolFailed(tool:arguments:status:output:)``, ``BasesError/toolMissing(tool:package:)``.
    @discardableResult
    func run(
        _ arguments: [String], environment: [String: String] = [:], standardInput: String? = nil, standardOutput: FileHandle? = nil,
        output: (@Sendable (String) -> Void)? = nil
    ) async throws -> String {
        let process = Process()
        process.executableURL = try executable()
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        if let standardInput {
            guard let input = FileHandle(forReadingAtPath: standardInput) else { throw BasesError.localFileMissing(path: standardInput) }
            process.standardInput = input
        } else {
            process.standardInput = FileHandle.nullDevice
        }
        let pipe = Pipe()
        process.standardOutput = standardOutput ?? pipe
        process.standardError = pipe
        let captured = CapturedOutput(sink: output)
        pipe.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if !data.isEmpty { captured.append(data) }
        }
        let status: Int32 = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                process.terminationHandler = { process in continuation.resume(returning: process.terminationStatus) }
                do { try process.run() } catch {
                    process.terminationHandler = nil
                    continuation.resume(throwing: error)
                }
            }
        } onCancel: {
            if process.isRunning { process.terminate() }
        }
        pipe.fileHandleForReading.readabilityHandler = nil
        captured.append(pipe.fileHandleForReading.readDataToEndOfFile())
        let text = captured.text
        guard status == 0 else {
            throw BasesError.toolFailed(tool: name, arguments: arguments, status: status, output: text)
        }
        return text
    }
}

/// Collects a child's output from the pipe's reader thread.
private final class CapturedOutput: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    private let sink: (@Sendable (String) -> Void)?

    init(sink: (@Sendable (String) -> Void)?) {
        self.sink = sink
    }

    func append(_ chunk: Data) {
        guard !chunk.isEmpty else { return }
        lock.lock()
        data.append(chunk)
        // Keep the tail only: mmdebstrap can be chatty and only the end explains a failure.
        if data.count > 1 << 20 { data = data.suffix(256 << 10) }
        lock.unlock()
        sink?(String(decoding: chunk, as: UTF8.self))
    }

    var text: String {
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: data, as: UTF8.self)
    }
}
