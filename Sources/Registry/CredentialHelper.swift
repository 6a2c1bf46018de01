// Runs `docker-credential-NAME get` per docker's credential-helper protocol (server URL on stdin, JSON on stdout).
import Foundation

/// A docker credential helper program.
struct CredentialHelper {
    /// The helper's name, e.g. `pass` for `docker-credential-pass`.
    let name: String
    /// The file that named it, for messages.
    let configuredIn: String

    var program: String { "docker-credential-\(name)" }

    /// Asks the helper for the credential of a server.
    /// - Parameter serverURL: The registry host (or `https://index.docker.io/v1/`).
    /// - Returns: The credential, or nil when the helper has none.
    /// - Throws: ``RegistryError/credentialHelper(helper:reason:)``.
    func get(serverURL: String) throws -> ResolvedCredential? {
        struct Answer: Decodable {
            var Username: String?
            var Secret: String?
        }
        guard let executable = Self.find(program) else {
            throw RegistryError.credentialHelper(helper: program, reason: "not found in PATH (named in \(configuredIn))")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["get"]
        let input = Pipe()
        let output = Pipe()
        let errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        do {
            try process.run()
        } catch {
            throw RegistryError.credentialHelper(helper: program, reason: "cannot start: \(error.localizedDescription)")
        }
        input.fileHandleForWriting.write(Data(serverURL.utf8))
        try? input.fileHandleForWriting.close()
        let errorBox = ErrorBytes()
        let reader = Thread { errorBox.data = errors.fileHandleForReading.readDataToEndOfFile() }
        reader.start()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while !errorBox.done { usleep(1000) }
        let source = "credential helper \(program) (named in \(configuredIn))"
        guard process.terminationStatus == 0 else {
            let said = String(decoding: data + errorBox.data, as: UTF8.self)
            if said.lowercased().contains("credentials not found") { return nil }
            // The helper's own words, first line only: helpers do not print secrets on failure.
            let firstLine = said.split(whereSeparator: \.isNewline).first.map(String.init) ?? "no message"
            throw RegistryError.credentialHelper(helper: program, reason: "exit \(process.terminationStatus): \(firstLine.prefix(200))")
        }
        guard let answer = try? JSONDecoder().decode(Answer.self, from: data), let secret = answer.Secret, !secret.isEmpty else {
            throw RegistryError.credentialHelper(helper: program, reason: "answer is not {\"Username\":…,\"Secret\":…}")
        }
        if answer.Username == "<token>" {
            return ResolvedCredential(credential: .identityToken(username: nil, token: secret), source: source)
        }
        return ResolvedCredential(credential: .basic(username: answer.Username ?? "", password: secret), source: source)
    }

    /// Looks a program up in `PATH`.
    static func find(_ program: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(program)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}

private final class ErrorBytes: @unchecked Sendable {
    private let lock = NSLock()
    private var storage = Data()
    private var finished = false
    var data: Data {
        get { lock.withLock { storage } }
        set { lock.withLock { storage = newValue; finished = true } }
    }
    var done: Bool { lock.withLock { finished } }
}
