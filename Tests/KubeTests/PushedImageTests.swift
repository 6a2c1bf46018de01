// A layout pushed to a real registry (docker-registry, skopeo): the manifests pin the digest the registry serves.
import Foundation
import Kube
import KubeTestSupport
import Testing
import TestSupport

@Suite("Manifests for a pushed image")
struct PushedImageTests {
    /// A docker-registry on 127.0.0.1 at a free port with temporary storage; stopped by ``stop()``.
    final class LocalRegistry: @unchecked Sendable {
        let process = Process()
        let storage: TemporaryDirectory
        let address: String

        init() async throws {
            storage = try TemporaryDirectory(prefix: "labforge-registry")
            let port = try await Command.check(["python3", "-c", "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"])
                .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            address = "127.0.0.1:\(port)"
            let config = storage.appending("config.yml")
            try """
                version: 0.1
                log: {level: error}
                storage: {filesystem: {rootdirectory: \(storage.appending("data"))}}
                http: {addr: \(address)}

                """.write(toFile: config, atomically: true, encoding: .utf8)
            process.executableURL = URL(fileURLWithPath: "/usr/bin/docker-registry")
            process.arguments = ["serve", config]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            for _ in 0..<100 {
                let probe = "import urllib.request; urllib.request.urlopen('http://\(address)/v2/', timeout=1)"
                if try await Command.run(["python3", "-c", probe]).status == 0 { return }
                try await Task.sleep(for: .milliseconds(100))
            }
            stop()
            throw RegistryDidNotStart(address: address)
        }

        func stop() {
            if process.isRunning {
                process.terminate()
                process.waitUntilExit()
            }
        }

        deinit { stop() }
    }

    struct RegistryDidNotStart: Error, CustomStringConvertible {
        var address: String
        var description: String { "docker-registry did not answer on \(address) within 10 s" }
    }

    @Test("labforge manifests on a pushed layout pins the digest the registry serves")
    func pushedLayout() async throws {
        let scratch = try TemporaryDirectory(prefix: "labforge-pushed")
        let layout = scratch.appending("layout")
        let digest = try await KubeFixtures.makeLayout(at: layout, virtualSize: 5 << 30)
        let registry = try await LocalRegistry()
        defer { registry.stop() }
        let reference = "\(registry.address)/labs/debian-lab:1.0"
        try await Command.check(["skopeo", "copy", "--quiet", "--preserve-digests", "--dest-tls-verify=false", "oci:\(layout):1.0", "docker://\(reference)"])
        let served = try await Command.check(["skopeo", "inspect", "--tls-verify=false", "--format", "{{.Digest}}", "docker://\(reference)"])
            .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(served == digest.description)

        let output = scratch.appending("manifests")
        let result = try await Command.labforge(["manifests", layout, "--reference", reference, "--agent", "terminal", "--output", output])
        #expect(result.status == 0, "\(result.stderr)")
        let dataVolume = try String(contentsOfFile: output + "/datavolume.yaml", encoding: .utf8)
        let url = try #require(dataVolume.split(separator: "\n").first { $0.contains("url: docker://") })
        let pinned = String(url.split(separator: " ").last!)
        #expect(pinned == "docker://\(registry.address)/labs/debian-lab@\(served)")
        // The registry serves exactly what the DataVolume asks CDI to import.
        let byDigest = try await Command.check(["skopeo", "inspect", "--tls-verify=false", "--format", "{{.Digest}}", pinned])
        #expect(byDigest.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == served)
        let (status, report) = try await KubeFixtures.validate(try FileManager.default.contentsOfDirectory(atPath: output).map { "\(output)/\($0)" })
        #expect(status == 0, "\(report)")
    }
}
