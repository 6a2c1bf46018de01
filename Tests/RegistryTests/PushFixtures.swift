// Shared pieces of the registry tests: running `labforge push`, decoding its JSON, isolated credential homes.
import Foundation
import OCI
import Registry
import TestSupport

enum Push {
    /// An environment with no credentials from the machine running the tests.
    static func isolatedEnvironment(home: String, extra: [String: String] = [:]) -> [String: String] {
        ["HOME": home, "DOCKER_CONFIG": "", "REGISTRY_AUTH_FILE": "", "XDG_RUNTIME_DIR": ""].merging(extra) { $1 }
    }

    /// Runs `labforge push … --json` and decodes the result (nil when it failed).
    static func run(
        _ arguments: [String], home: String, input: Data? = nil, environment: [String: String] = [:]
    ) async throws -> (CommandResult, PushResult?) {
        let result = try await Command.labforge(
            ["push", "--json"] + arguments, input: input, environment: isolatedEnvironment(home: home, extra: environment))
        guard result.status == 0 else { return (result, nil) }
        return (result, try JSONDecoder().decode(PushResult.self, from: result.stdoutData))
    }

    /// The manifest digest skopeo reads from a registry.
    static func skopeoDigest(_ reference: String) async throws -> String {
        let result = try await Command.check(["skopeo", "inspect", "--tls-verify=false", "--raw", "docker://\(reference)"])
        return Digest.sha256(of: result.stdoutData).description
    }
}
