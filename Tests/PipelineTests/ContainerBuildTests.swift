// End to end: `labforge build debian-desktop --target container` on the host, verified in namespaces with credentials,
// pushed to a real registry that skopeo reads back, listed in the catalog beside its kind; a second run does nothing.
import Foundation
import Testing
import TestSupport

@Suite("Pod lab build", .serialized)
struct ContainerBuildTests {
    @Test("build → verify --image (terminal shell and desktop RFB with credentials, SIGTERM, fail closed) → push → skopeo; warm no-op", .timeLimit(.minutes(60)), .bootsVM)
    func desktopContainerEndToEnd() async throws {
        let directory = try TemporaryDirectory(prefix: "labforge-pod")
        let cache = directory.appending("cache")
        try FileManager.default.createDirectory(atPath: cache, withIntermediateDirectories: true)
        let output = directory.appending("images")
        let registry = try LocalRegistry()
        defer { registry.stop() }
        let environment = ["SOURCE_DATE_EPOCH": "1764115200", "LABFORGE_ACCEL": "tcg"]

        let build = try await Command.labforge(
            ["build", "debian-desktop", "--target", "container", "--output", output, "--cache-dir", cache, "--push", "\(registry.address)/labs", "--json"],
            environment: environment)
        let coldSeconds = build.seconds
        #expect(build.status == 0, "\(build.stdout)\n\(build.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: build.stdoutData) as? [String: Any])
        let container = try #require((report["images"] as? [[String: Any]])?.first { $0["kind"] as? String == "container" })
        #expect(container["status"] as? String == "built", "\(container)")
        let directoryPath = try #require(container["directory"] as? String)
        print("cold container build of debian-desktop: \(String(format: "%.1f", coldSeconds)) s; \(container["imageBytes"] ?? "?") bytes")

        // The verification: both agents with credentials, the same desktop proofs as the VM's (the Xfce session with its
        // panel, resize, clipboard both ways, ZMODEM), a clean SIGTERM, and nothing served without credentials.
        let verification = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: directoryPath + "/verification.json"))) as? [String: Any])
        let results = try #require(verification["results"] as? [[String: Any]])
        #expect(Set(results.compactMap { $0["probe"] as? String }) == [
            "web-terminal", "web-desktop", "file-transfer", "desktop-session", "desktop-resize", "clipboard", "sigterm", "fail-closed",
        ])
        #expect(results.allSatisfy { $0["passed"] as? Bool == true }, "\(results)")

        // skopeo reads what the registry holds: a non-root user, the agents' ports, tini as entrypoint.
        let reference = "docker://\(registry.address)/labs/debian-desktop-pod:1.0.0"
        let inspect = try await Command.check(["skopeo", "inspect", "--tls-verify=false", "--config", reference]).stdoutData
        let config = try #require((try JSONSerialization.jsonObject(with: inspect) as? [String: Any])?["config"] as? [String: Any])
        #expect(config["User"] as? String == "1000:1000")
        #expect(config["Entrypoint"] as? [String] == ["/usr/bin/tini", "-g", "--", "/usr/libexec/labforge/lab-init"])
        #expect((config["ExposedPorts"] as? [String: Any]).map { Set($0.keys) } == ["7681/tcp", "6080/tcp"])
        #expect((config["Labels"] as? [String: String])?["dev.labforge.kind"] == "container")

        // No setuid file, no apt lists in the layer.
        let layout = directoryPath + "/oci"
        let index = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: layout + "/index.json"))) as? [String: Any]
        let manifestDigest = try #require(((index?["manifests"] as? [[String: Any]])?.first?["digest"] as? String)?.dropFirst(7))
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: layout + "/blobs/sha256/" + manifestDigest))) as? [String: Any]
        let layerDigest = try #require(((manifest?["layers"] as? [[String: Any]])?.first?["digest"] as? String)?.dropFirst(7))
        let listing = try await Command.check(["tar", "-tvzf", layout + "/blobs/sha256/" + layerDigest]).stdout
        // Regular files only: a setgid directory (/var/mail) is group inheritance, not a privilege.
        let setuidFiles = listing.split(separator: "\n").filter { line in
            line.hasPrefix("-") && line.count > 6 && "sS".contains(Array(line)[3]) || line.hasPrefix("-") && line.count > 6 && "sS".contains(Array(line)[6])
        }
        #expect(setuidFiles.isEmpty, "\(setuidFiles)")
        #expect(!listing.contains("var/lib/apt/lists/deb.debian.org"))
        #expect(!listing.contains("var/cache/apt/archives/") || !listing.contains(".deb\n"))

        // The manifests and the catalog, which lists the container kind.
        #expect(FileManager.default.fileExists(atPath: directoryPath + "/manifests/deployment.yaml"))
        let catalog = try String(contentsOfFile: output + "/catalog.json", encoding: .utf8)
        #expect(catalog.contains("\"kind\" : \"container\"") || catalog.contains("\"kind\":\"container\""))

        // Warm: nothing changed, nothing done.
        let warm = try await Command.labforge(
            ["build", "debian-desktop", "--target", "container", "--output", output, "--cache-dir", cache, "--push", "\(registry.address)/labs", "--json"],
            environment: environment)
        #expect(warm.status == 0, "\(warm.stderr)")
        let warmReport = try #require(try JSONSerialization.jsonObject(with: warm.stdoutData) as? [String: Any])
        let warmImage = try #require((warmReport["images"] as? [[String: Any]])?.first)
        #expect(warmImage["status"] as? String == "unchanged")
        // Nothing done: the summary is the cold run's (its stages, not new ones), and the catalog is not rewritten.
        #expect((warmImage["stages"] as? [[String: Any]])?.count == (container["stages"] as? [[String: Any]])?.count)
        #expect(warmReport["catalogUpdated"] as? Bool == false)
        print("warm container build: \(String(format: "%.2f", warm.seconds)) s")
    }
}
