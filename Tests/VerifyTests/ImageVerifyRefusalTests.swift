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

    /// A hostile layout, what its refusal must say, and what must not appear in the host directory `outside`.
    struct Hostile: Sendable, CustomStringConvertible {
        var description: String
        /// The layers, given the host directory the layout aims at.
        var layers: @Sendable (_ outside: String) -> [[LayerEntry]]
        /// Text the error must hold, given the host directory and the layers' digests.
        var says: @Sendable (_ outside: String, _ layers: [Digest]) -> String

        static let all: [Hostile] = [
            Hostile(description: "symlink layer, then a file through it", layers: { outside in
                [[.directory("etc/"), .symlink("etc/escape", to: outside)], [.file("etc/escape/pwned", "pwned\n")]]
            }, says: { outside, layers in
                "layer \(layers[1]): entry etc/escape/pwned refused: its parent etc/escape is a symbolic link (to \(outside))"
            }),
            Hostile(description: ".. entry", layers: { _ in [[.file("../../../pwned")]] }, says: { _, layers in
                "layer \(layers[0]): entry ../../../pwned refused: it climbs out of the image with '..'"
            }),
            Hostile(description: "absolute entry", layers: { outside in [[.file(outside + "/pwned")]] }, says: { outside, layers in
                "layer \(layers[0]): entry \(outside)/pwned refused: it is an absolute path"
            }),
            Hostile(description: "device node", layers: { _ in [[.directory("dev/"), .device("dev/mem")]] }, says: { _, layers in
                "layer \(layers[0]): entry dev/mem refused: it is a character device node"
            }),
            Hostile(description: "hard link out", layers: { outside in [[.hardlink("stolen", to: outside + "/secret")]] }, says: { outside, layers in
                "layer \(layers[0]): entry stolen refused: it is a hard link to \(outside)/secret, outside the image"
            }),
            Hostile(description: "/run a link the runtime would mount through", layers: { outside in [[.symlink("run", to: outside)]] }, says: { outside, _ in
                "its /run is a symbolic link (to \(outside)); the runtime mounts over it, so it must be a directory"
            }),
        ]
    }

    @Test("a hostile layout is refused with the layer, the entry and why, and nothing is written outside", arguments: Hostile.all)
    func hostileLayout(hostile: Hostile) async throws {
        let directory = try TemporaryDirectory(prefix: "labforge-verify-hostile")
        let outside = directory.appending("host-dir")
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        try "host secret\n".write(toFile: outside + "/secret", atomically: true, encoding: .utf8)
        let layout = try await HostileLayer.layout(hostile.layers(outside), in: directory)
        let result = try await Command.labforge(["verify", "--image", layout.path])
        #expect(result.status != 0)
        #expect(result.stderr.contains("cannot run the image at \(layout.path)"), "\(result.stderr)")
        #expect(result.stderr.contains(hostile.says(outside, layout.layers)), "\(result.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: outside) == ["secret"])
        var info = stat()
        #expect(stat(outside + "/secret", &info) == 0 && info.st_nlink == 1)
    }

    @Test("a layer blob whose bytes are not its digest's is refused before it is unpacked")
    func tamperedBlob() async throws {
        let directory = try TemporaryDirectory(prefix: "labforge-verify-hostile")
        let layout = try await HostileLayer.layout([[.file("etc/hostname")]], in: directory)
        let blob = layout.path + "/blobs/sha256/" + layout.layers[0].hex
        var bytes = try Data(contentsOf: URL(fileURLWithPath: blob))
        bytes[bytes.count - 1] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: blob))
        let result = try await Command.labforge(["verify", "--image", layout.path])
        #expect(result.status != 0)
        #expect(result.stderr.contains("layer \(layout.layers[0]): the blob's bytes hash to sha256:"), "\(result.stderr)")
        #expect(result.stderr.contains("not its digest"), "\(result.stderr)")
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
