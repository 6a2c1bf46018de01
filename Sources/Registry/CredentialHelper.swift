// Runs `docker-credential-NAME get` per docker's credential-helper protocol (server URL on stdin, JSON on stdout).
import Foundation
import ProcessRunner

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
        guard ProgramPath.find(program) != nil else {
            throw RegistryError.credentialHelper(helper: program, reason: "not found in PATH (named in \(configuredIn))")
        }
        // Synchronous like the credential lookup that calls it; the bridge never blocks the cooperative pool's work.
        // A helper waiting for a desktop prompt that never comes is ended after 30 s.
        let result: ChildProcessResult
        do {
            // The user's own credential program needs the user's environment (its D-Bus session, gpg home, cloud profile).
            var helper = ChildProcess([program, "get"], input: .data(Data(serverURL.utf8)), timeout: .seconds(30))
            helper.inheritance = .everythingButSecrets
            result = try helper.runBlocking()
        } catch {
            throw RegistryError.credentialHelper(helper: program, reason: "cannot start: \(error)")
        }
        let data = result.stdout
        let source = "credential helper \(program) (named in \(configuredIn))"
        if result.timedOut {
            throw RegistryError.credentialHelper(helper: program, reason: "no answer within 30 s")
        }
        guard result.status == 0 else {
            let said = result.stdoutText + result.stderr
            if said.lowercased().contains("credentials not found") { return nil }
            // The helper's own words, first line only: helpers do not print secrets on failure.
            let firstLine = said.split(whereSeparator: \.isNewline).first.map(String.init) ?? "no message"
            throw RegistryError.credentialHelper(helper: program, reason: "exit \(result.status): \(firstLine.prefix(200))")
        }
        guard let answer = try? JSONDecoder().decode(Answer.self, from: data), let secret = answer.Secret, !secret.isEmpty else {
            throw RegistryError.credentialHelper(helper: program, reason: "answer is not {\"Username\":…,\"Secret\":…}")
        }
        if answer.Username == "<token>" {
            return ResolvedCredential(credential: .identityToken(username: nil, token: secret), source: source)
        }
        return ResolvedCredential(credential: .basic(username: answer.Username ?? "", password: secret), source: source)
    }
}
