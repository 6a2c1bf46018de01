// The firmware a containerDisk claims: a config label and a manifest annotation, as skopeo reads them.
import Foundation
import OCI
import Testing
import TestSupport

@Suite("containerDisk firmware label")
struct ContainerDiskFirmwareTests {
    @Test("the claimed firmwares are the config's dev.labforge.firmware label and a manifest annotation; none without a claim")
    func firmwareLabel() async throws {
        let dir = try TemporaryDirectory()
        let disk = dir.appending("lab.qcow2")
        try await DiskFixtures.makeQcow2(at: disk, randomMiB: 1)
        for (name, firmware) in [("claimed", ["uefi-secure-boot", "bios"]), ("unclaimed", [])] {
            let layout = dir.appending(name)
            _ = try ContainerDiskPacker().package(
                disk: disk, into: layout,
                options: ContainerDiskOptions(name: try RepositoryName("labs/lab"), tag: try Tag("1.0"), instancetype: "u1.small", firmware: firmware))
            struct Config: Decodable {
                struct Execution: Decodable {
                    var Labels: [String: String]?
                    var Env: [String]?
                }
                var config: Execution?
            }
            let config = try JSONDecoder().decode(
                Config.self, from: try await Command.check(["skopeo", "inspect", "--config", "oci:\(layout):1.0"]).stdoutData)
            let manifest = try JSONDecoder().decode(
                ImageManifest.self, from: try await Command.check(["skopeo", "inspect", "--raw", "oci:\(layout):1.0"]).stdoutData)
            let expected = firmware.isEmpty ? nil : "uefi-secure-boot,bios"
            #expect(config.config?.Labels?[AnnotationKey.firmware] == expected)
            #expect(manifest.annotations?[AnnotationKey.firmware] == expected)
            #expect(config.config?.Env == ["\(ContainerDiskEnvironment.defaultInstancetype)=u1.small"])
        }
    }
}
