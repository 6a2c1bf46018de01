// A bootstrap that installs pinned .deb files on the host (the host path of a recipe's first package batch).
import Bases
import Foundation
import Guestfs
import LabforgeRecipe
import Testing
import TestSupport

@Suite("Debian bootstrap with pinned packages", .serialized)
struct PinnedBootstrapTests {
    /// Builds a tiny architecture-independent `.deb` holding `/usr/share/<name>/marker`.
    static func package(_ name: String, in directory: TemporaryDirectory) async throws -> (path: String, sha256: String) {
        let root = directory.appending("\(name)-root")
        try FileManager.default.createDirectory(atPath: root + "/DEBIAN", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/usr/share/\(name)", withIntermediateDirectories: true)
        try """
        Package: \(name)
        Version: 1.0
        Architecture: all
        Maintainer: labforge tests <tests@labforge.invalid>
        Description: labforge pinned-package test

        """.write(toFile: root + "/DEBIAN/control", atomically: true, encoding: .utf8)
        try "\(name)\n".write(toFile: root + "/usr/share/\(name)/marker", atomically: true, encoding: .utf8)
        let deb = directory.appending("\(name)_1.0_all.deb")
        try await Command.check(["dpkg-deb", "--root-owner-group", "--build", root, deb])
        let sha = try await Command.check(["sha256sum", deb]).stdout.split(separator: " ").first.map(String.init) ?? ""
        return (deb, sha)
    }

    @Test(
        "a pinned .deb is installed from its file; 'repositories, else this file' takes the archive's package when it has one, else the file",
        .timeLimit(.minutes(60)), .bootsVM
    )
    func pinnedPackagesInTheTree() async throws {
        guard getuid() == 0 else { return }  // mmdebstrap --mode=root: root only
        let work = try TemporaryDirectory(prefix: "labforge-pinned")
        defer { work.remove() }
        let always = try await Self.package("labforge-pinned-probe", in: work)
        let absent = try await Self.package("labforge-absent-probe", in: work)
        func artifact(_ deb: (path: String, sha256: String)) -> PinnedArtifact {
            PinnedArtifact(url: "https://example.invalid/" + URL(fileURLWithPath: deb.path).lastPathComponent, sha256: deb.sha256)
        }
        let spec = DebianBootstrap(pinnedPackages: [
            PackageRequest("labforge-pinned-probe", source: .artifact(artifact(always))),
            // Not in Debian: the file. `hello` is in Debian: the archive's package (its file is never used).
            PackageRequest("labforge-absent-probe", source: .repositoriesElse(artifact(absent))),
            PackageRequest("hello", source: .repositoriesElse(artifact(absent))),
        ])
        let output = work.appending("base.qcow2")
        let log = LogCollector()
        let bootstrapper = DebianBootstrapper(workDirectory: work.path, log: { log.append($0) })

        // A file the caller did not fetch is a clear error, before mmdebstrap runs.
        await #expect(throws: BasesError.self) {
            try await bootstrapper.build(spec, pinnedFiles: [always.sha256: always.path], output: output)
        }
        #expect(!FileManager.default.fileExists(atPath: output))

        try await VMSlots.hold { [bootstrapper] in
            try await bootstrapper.build(spec, pinnedFiles: [always.sha256: always.path, absent.sha256: absent.path], output: output)
        }
        let text = log.text
        #expect(text.contains("labforge: labforge-absent-probe not in the guest's repositories; using the pinned labforge-absent-probe_1.0_all.deb"))
        #expect(text.contains("labforge: hello from the guest's repositories"))

        let appliance = try Appliance()
        try appliance.add(Drive(path: output, format: .qcow2, readOnly: true))
        try await appliance.launchOffPool()
        let system = try appliance.inspectOperatingSystem(diskName: output)
        try appliance.mountAll(system, readOnly: true)
        #expect(try appliance.exists("/usr/share/labforge-pinned-probe/marker"))
        #expect(try appliance.exists("/usr/share/labforge-absent-probe/marker"))
        #expect(try appliance.exists("/usr/bin/hello"))
        #expect(try appliance.exists("/boot/grub/grub.cfg"), "the boot hook ran after the pinned packages")
        let status = String(decoding: try appliance.readFile("/var/lib/dpkg/status"), as: UTF8.self)
        for name in ["labforge-pinned-probe", "labforge-absent-probe", "hello"] {
            #expect(status.contains("Package: \(name)\n"), "\(name) not in the dpkg database")
        }
        #expect(!(try appliance.exists("/var/cache/labforge-pinned")), "the staged .debs are removed from the tree")
        try appliance.unmountAll()
        try appliance.shutdown()
    }
}
