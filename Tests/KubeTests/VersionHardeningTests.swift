// Versions and names given on the command line, in a layout or in a tag reach YAML and paths only when valid.
import Foundation
import Kube
import KubeTestSupport
import OCI
import Testing
import TestSupport

@Suite("manifest inputs hardening")
struct VersionHardeningTests {
    @Test("an image version with a newline, '../' or a leading '/' is refused before any YAML", arguments: ["1.0\nkind: Secret", "../../x", "/etc", ".."])
    func unsafeVersion(version: String) throws {
        var image = KubeFixtures.desktopImage()
        image.version = version
        let error = try #require(throws: KubeError.self) { try ManifestSet(image: image) }
        #expect(error == .invalidVersion(what: "image version", value: version))
        #expect(!error.description.contains("\n"), "\(error)")
    }

    @Test("a tag from a layout or reference is held to the same rule; the repository must be registry/repository")
    func tagAndRepository() {
        var image = KubeFixtures.desktopImage()
        image.tag = "1.0\n# injected"
        #expect(throws: KubeError.invalidVersion(what: "tag", value: "1.0\n# injected")) { try ManifestSet(image: image) }
        image = KubeFixtures.desktopImage()
        image.repository = "registry.example.org/labs/debian-desktop\nkind: Secret"
        #expect(throws: OCIError.self) { try ManifestSet(image: image) }
    }

    @Test("labforge manifests --image-version '../x' and --name '../x' write nothing and say why")
    func commandLine() async throws {
        let scratch = try TemporaryDirectory(prefix: "labforge-manifests-hardening")
        let layout = scratch.appending("layout")
        _ = try await KubeFixtures.makeLayout(at: layout, virtualSize: 1 << 30)
        for (option, value) in [("--image-version", "../../escaped"), ("--name", "../escaped"), ("--image-version", "1.0\nkind: Secret")] {
            let result = try await Command.labforge(
                ["manifests", layout, "--reference", "127.0.0.1:5000/labs/debian-lab:1.0", option, value, "--output", scratch.appending("out")])
            #expect(result.status != 0, "\(option) \(value)")
            #expect(result.stderr.contains(option == "--name" ? "image name" : "image version"), "\(result.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: scratch.appending("out")))
    }
}
