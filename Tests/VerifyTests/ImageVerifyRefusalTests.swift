// `labforge verify --image` refuses images a pod lab cannot run, before anything is unpacked or started.
import Foundation
import OCI
import Testing
import TestSupport
import Verify

@Suite("verify --image refusals")
struct ImageVerifyRefusalTests {
    /// A one-file image with the given user and entrypoint.
    static func layout(user: String, entrypoint: [String], in directory: TemporaryDirectory) throws -> String {
        let root = directory.appending("root")
        try FileManager.default.createDirectory(atPath: root + "/etc", withIntermediateDirectories: true)
        try "x\n".write(toFile: root + "/etc/hostname", atomically: true, encoding: .utf8)
        let layout = directory.appending("oci")
        _ = try ContainerImagePacker().package(tree: root, into: layout, options: ContainerImageOptions(
            name: try RepositoryName("labs/x-pod"), tag: try Tag("1.0"), user: user, exposedPorts: [7681], environment: [],
            workingDirectory: "/", entrypoint: entrypoint, annotations: [ImageVerifier.probesLabel: "web-terminal:7681/ws"]))
        return layout
    }

    @Test("an image that runs as root is refused, naming its User", arguments: ["0:0", "root", ""])
    func rootUser(user: String) async throws {
        let directory = try TemporaryDirectory(prefix: "labforge-verify-image")
        let layout = try Self.layout(user: user, entrypoint: ["/bin/true"], in: directory)
        let result = try await Command.labforge(["verify", "--image", layout])
        #expect(result.status != 0)
        #expect(result.stderr.contains("numeric non-root user"), "\(result.stderr)")
    }

    @Test("an image without an entrypoint is refused; a path that is no layout is refused")
    func noEntrypoint() async throws {
        let directory = try TemporaryDirectory(prefix: "labforge-verify-image")
        let layout = try Self.layout(user: "1000:1000", entrypoint: [], in: directory)
        let result = try await Command.labforge(["verify", "--image", layout])
        #expect(result.status != 0)
        #expect(result.stderr.contains("no Entrypoint or Cmd"), "\(result.stderr)")
        let missing = try await Command.labforge(["verify", "--image", directory.appending("nothing")])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("cannot run the image at"), "\(missing.stderr)")
    }

    @Test("the probes and the lab user come from the image's labels")
    func declaredProbes() throws {
        let directory = try TemporaryDirectory(prefix: "labforge-verify-image")
        let layout = try Self.layout(user: "1000:1000", entrypoint: ["/bin/true"], in: directory)
        let declared = try ImageVerifier.declaredProbes(layout: layout, tag: nil)
        #expect(declared.targets == [.webTerminal(port: 7681, path: "ws")])
        #expect(ProbeTarget.webDesktop(port: 6080, path: "vnc.html").argument == "web-desktop:6080/vnc.html")
    }
}
