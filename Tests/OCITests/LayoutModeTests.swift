// The layer blob carries the whole disk: on the host it is as private as the disk (0640), while inside the
// tar disk.img stays 0444 for KubeVirt's UID 107.
import DiskImage
import Foundation
import OCI
import Testing
import TestSupport

@Suite("layout file modes")
struct LayoutModeTests {
    @Test("the layer blob is 0640 on the host; small JSON blobs stay 0644")
    func layerBlobMode() async throws {
        let dir = try TemporaryDirectory()
        let disk = dir.appending("lab.qcow2")
        try await DiskFixtures.makeQcow2(at: disk, virtualSize: "128M", randomMiB: 1)
        let layout = dir.appending("layout")
        let result = try await Command.labforge(["package", disk, "--output", layout, "--name", "labs/modes", "--tag", "1.0", "--compression", "none"])
        #expect(result.status == 0, "\(result.stderr)")
        let mode: (String) -> Int = { ((try? FileManager.default.attributesOfItem(atPath: $0)[.posixPermissions]) as? Int ?? -1) & 0o7777 }
        #expect(mode(try layerBlob(layout).path) == Int(FileAccess.diskFileMode))
        #expect(mode(layout + "/index.json") == 0o644)
    }
}
