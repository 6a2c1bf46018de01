// The `labforge bases` listing and argument checks, through the built CLI.
import Bases
import Foundation
import Testing
import TestSupport

@Suite("labforge bases CLI")
struct BasesCommandTests {
    @Test("`labforge bases --json` lists the Debian bootstrap first, then every pinned upstream base")
    func listing() async throws {
        let cache = try TemporaryDirectory(prefix: "labforge-cache")
        defer { cache.remove() }
        let result = try await Command.labforge(["bases", "--json", "--cache-dir", cache.path])
        #expect(result.status == 0, "\(result.stderr)")
        struct Row: Decodable { var name: String; var checksum: String?; var cachedPath: String? }
        let rows = try JSONDecoder().decode([Row].self, from: result.stdoutData)
        #expect(rows.first?.name == "debian-bootstrap")
        #expect(rows.dropFirst().map(\.name) == WellKnownBases.all.map(\.image.name))
        #expect(rows.allSatisfy { $0.cachedPath == nil })
    }

    @Test("`labforge base fetch` refuses a URL without a checksum and an unknown name", .bootsVM)
    func fetchArguments() async throws {
        let noChecksum = try await Command.labforge(["base", "fetch", "http://127.0.0.1:9/x.qcow2"])
        #expect(noChecksum.status != 0)
        #expect(noChecksum.stderr.contains("--sha256"))
        let cache = try TemporaryDirectory(prefix: "labforge-cache")
        defer { cache.remove() }
        let unknown = try await Command.labforge(["base", "fetch", "no-such-base", "--cache-dir", cache.path])
        #expect(unknown.status != 0)
        #expect(unknown.stderr.contains("debian-13-genericcloud"))
    }

    @Test("`--arch` takes amd64 or arm64: `base bootstrap` and `verify` refuse another name, and verify refuses BIOS for arm64 before booting")
    func architectureArguments() async throws {
        let bootstrap = try await Command.labforge(["base", "bootstrap", "--arch", "sparc"])
        #expect(bootstrap.status != 0)
        #expect(bootstrap.stderr.contains("--arch sparc: expected one of amd64, arm64"))
        let verify = try await Command.labforge(["verify", "/nonexistent.qcow2", "--arch", "mips"])
        #expect(verify.status != 0 && verify.stderr.contains("--arch mips: expected one of amd64, arm64"))
        let directory = try TemporaryDirectory(prefix: "labforge-arch")
        defer { directory.remove() }
        let disk = directory.appending("arm64.qcow2")
        #expect(try await Command.run(["qemu-img", "create", "-q", "-f", "qcow2", disk, "64M"]).status == 0)
        let bios = try await Command.labforge(["verify", disk, "--arch", "arm64", "--firmware", "bios"])
        #expect(bios.status != 0)
        #expect(bios.stderr.contains("arm64 VMs do not boot under BIOS: give --firmware uefi"), "\(bios.stderr)")
    }
}
