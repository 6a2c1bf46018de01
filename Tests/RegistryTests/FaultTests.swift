// Faults injected by a proxy in front of a real registry (the only way to cause them on demand): 500s, a 429 with
// Retry-After, a connection dropped mid-PATCH. The push must still complete with the right digest.
import Foundation
import OCI
import Registry
import Testing
import TestSupport

@Suite("faults between labforge and the registry")
struct FaultTests {
    @Test("500s, 429 + Retry-After and a dropped PATCH are retried; the chunked upload resumes from the registry's Range")
    func survivesFaults() async throws {
        let registry = try LocalRegistry()
        let work = try TemporaryDirectory()
        let layout = try await SyntheticLayout.write(at: work.appending("layout"), layerSizes: [4 << 20, 2000], tag: "v1")
        let layerSize = Int(layout.layers[0].size)
        let rules: [[String: Any]] = [
            ["method": "HEAD", "path": "/blobs/", "nth": 1, "action": "status", "status": 500],
            ["method": "POST", "path": "/blobs/uploads/", "nth": 1, "count": 2, "action": "status", "status": 502],
            ["method": "PATCH", "path": "/blobs/uploads/", "nth": 2, "action": "status", "status": 429, "retry_after": "1",
             "code": "TOOMANYREQUESTS"],
            ["method": "PATCH", "path": "/blobs/uploads/", "nth": 4, "action": "drop"],
            ["method": "PUT", "path": "/manifests/", "nth": 1, "action": "status", "status": 503],
        ]
        let faults = String(decoding: try JSONSerialization.data(withJSONObject: rules), as: UTF8.self)
        let proxy = try ScriptServer(script: "fault_proxy.py", arguments: ["--upstream", registry.address, "--faults", faults])

        let started = Date()
        let (run, pushed) = try await Push.run(
            [layout.path, "\(proxy.address)/labs/flaky:1", "--chunk-size", "1", "--jobs", "1"], home: work.path)
        let elapsed = Date().timeIntervalSince(started)
        let result = try #require(pushed, "\(run.stderr)")
        #expect(result.digest == layout.manifest.digest)
        await #expect(try Push.skopeoDigest("\(registry.address)/labs/flaky:1") == layout.manifest.digest.description)
        #expect(elapsed >= 1, "Retry-After: 1 was honoured")

        let stats = try await proxy.json("/__proxy/stats")
        let fired = try #require(stats["fired"] as? [[String: Any]])
        #expect(Set(fired.compactMap { $0["rule"] as? Int }) == [0, 1, 2, 3, 4], "\(fired)")
        // Every accepted byte reached the registry once: the upload resumed instead of starting over.
        let forwarded = try #require(stats["forwarded_body_bytes"] as? [String: Int])
        #expect(forwarded["PATCH"] == layerSize, "\(forwarded)")
        let layer = try #require(result.blobs.first { $0.size == Int64(layerSize) })
        #expect(layer.resumes >= 2)
        #expect(layer.restarts == 0)
        #expect(run.stderr.contains("retry"), "retries are logged")
    }

    @Test("a registry that keeps failing gives up with the blob, the registry and the error code in one line")
    func givesUp() async throws {
        let registry = try LocalRegistry()
        let work = try TemporaryDirectory()
        let layout = try await SyntheticLayout.write(at: work.appending("layout"), layerSizes: [10_000], tag: "v1")
        let rules: [[String: Any]] = [
            ["method": "POST", "path": "/blobs/uploads/", "nth": 1, "count": 100, "action": "status", "status": 503]
        ]
        let faults = String(decoding: try JSONSerialization.data(withJSONObject: rules), as: UTF8.self)
        let proxy = try ScriptServer(script: "fault_proxy.py", arguments: ["--upstream", registry.address, "--faults", faults])
        let (run, pushed) = try await Push.run([layout.path, "\(proxy.address)/labs/down:1", "--retries", "2"], home: work.path)
        #expect(pushed == nil)
        let line = try #require(run.stderr.split(separator: "\n").last { $0.contains("UNAVAILABLE") }, "\(run.stderr)")
        #expect(line.contains(proxy.address))
        #expect(line.contains("sha256:"))
        #expect(line.contains("after 2 attempts"))
    }
}
