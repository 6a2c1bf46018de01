// A host program bases need (mmdebstrap, qemu-img, xz, gzip, …) with the Debian package that provides it; runs it and turns failures into errors.
import Foundation
import ProcessRunner

/// One external program, found in PATH, with the Debian package that provides it.
struct PackagedTool: Sendable {
    /// Program name.
    var name: String
    /// Debian package to install when it is missing.
    var package: String

    static let mmdebstrap = PackagedTool(name: "mmdebstrap", package: "mmdebstrap")
    static let qemuImg = PackagedTool(name: "qemu-img", package: "qemu-utils")
    static let xz = PackagedTool(name: "xz", package: "xz-utils")
    static let gzip = PackagedTool(name: "gzip", package: "gzip")
    static let sfdisk = PackagedTool(name: "sfdisk", package: "fdisk")
    static let mke2fs = PackagedTool(name: "mke2fs", package: "e2fsprogs")
    static let mkfsVfat = PackagedTool(name: "mkfs.vfat", package: "dosfstools")
    static let mcopy = PackagedTool(name: "mcopy", package: "mtools")
    static let tar = PackagedTool(name: "tar", package: "tar")

    /// The absolute path of the program.
    func executable() throws -> URL {
        guard let path = ProgramPath.find(name) else { throw BasesError.toolMissing(tool: name, package: package) }
        return URL(fileURLWithPath: path)
    }

    /// Runs the program to completion (``ChildProcess``: its own process group, ended on cancellation).
    /// - Parameters:
    ///   - arguments: Arguments.
    ///   - environment: Extra environment variables.
    ///   - standardInput: A file read as standard input (`nil`: /dev/null).
    ///   - standardOutput: A file standard output is written to (`nil`: captured with standard error for errors).
    ///   - output: Receives the output line by line, each with its newline (build log).
    /// - Returns: The captured output (standard output, then standard error).
    /// - Throws: ``BasesError/toolFailed(tool:arguments:status:output:)``, ``BasesError/toolMissing(tool:package:)``,
    ///   ``BasesError/localFileMissing(path:)`` for a missing input file.
    @discardableResult
    func run(
        _ arguments: [String], environment: [String: String] = [:], standardInput: String? = nil, standardOutput: String? = nil,
        output: (@Sendable (String) -> Void)? = nil
    ) async throws -> String {
        let executable = try executable().path
        if let standardInput, !FileManager.default.isReadableFile(atPath: standardInput) {
            throw BasesError.localFileMissing(path: standardInput)
        }
        let input: ChildProcess.Input = if let standardInput { .file(standardInput) } else { .none }
        let destination: ChildProcess.Output = if let standardOutput { .file(standardOutput) } else { .capture }
        var lineSink: (@Sendable (String) -> Void)?
        if let output { lineSink = { line in output(line + "\n") } }
        let process = ChildProcess(
            [executable] + arguments, environment: environment, input: input, output: destination, captureLimit: 256 << 10, log: lineSink)
        let result: ChildProcessResult
        do {
            result = try await process.run()
        } catch let error as ChildProcessError {
            if case .programMissing = error { throw BasesError.toolMissing(tool: name, package: package) }
            throw BasesError.toolFailed(tool: name, arguments: arguments, status: -1, output: "\(error)")
        }
        let text = result.stdoutText + result.stderr
        guard result.status == 0 else {
            throw BasesError.toolFailed(tool: name, arguments: arguments, status: result.status, output: text)
        }
        return text
    }
}
