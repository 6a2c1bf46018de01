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
}
