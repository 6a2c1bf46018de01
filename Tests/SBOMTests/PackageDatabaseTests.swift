// The package database parser, licenses, purls and version order, checked against dpkg itself.
import Foundation
import SBOM
import Testing
import TestSupport

@Suite("SBOM: package database")
struct PackageDatabaseTests {
    @Test("installed packages are the stanzas dpkg-query reports as `install ok installed`")
    func installedPackagesMatchDpkgQuery() async throws {
        let directory = try TemporaryDirectory()
        try DpkgStatusFixture.status.write(toFile: directory.appending("status"), atomically: true, encoding: .utf8)
        let dpkg = try await Command.check(["dpkg-query", "--admindir=\(directory.path)", "-W", "-f=${Status}|${binary:Package}|${Version}\n"])
        let expected = dpkg.stdout.split(separator: "\n").filter { $0.hasPrefix("install ok installed|") }
        let packages = try DpkgStatus.installedPackages(in: DpkgStatusFixture.status)
        #expect(packages.count == expected.count)
        #expect(packages.count == 5)
        #expect(packages.map(\.name) == ["base-files", "libc6", "libstdc++6", "novnc", "ttyd"])
        let libc = try #require(packages.first { $0.name == "libc6" })
        #expect(libc.sourceName == "glibc" && libc.sourceVersion == "2.41-12")
        let ttyd = try #require(packages.first { $0.name == "ttyd" })
        #expect(ttyd.sourceName == "ttyd" && ttyd.sourceVersion == "1.7.7-8" && ttyd.version == "1.7.7-8+b1")
        #expect(ttyd.summary == "Share your terminal over the web")
    }

    @Test("this machine's own dpkg database: same count and versions as dpkg-query")
    func hostDatabaseMatchesDpkgQuery() async throws {
        let text = try String(contentsOfFile: "/var/lib/dpkg/status", encoding: .utf8)
        let packages = try DpkgStatus.installedPackages(in: text)
        let dpkg = try await Command.check(["dpkg-query", "-W", "-f=${Status}|${Package}|${Architecture}|${Version}\n"])
        let expected = dpkg.stdout.split(separator: "\n").filter { $0.hasPrefix("install ok installed|") }
            .map { $0.split(separator: "|").dropFirst().joined(separator: "|") }.sorted()
        #expect(packages.count == expected.count)
        #expect(packages.map { "\($0.name)|\($0.architecture)|\($0.version)" }.sorted() == expected)
    }

    @Test("a stanza marked installed without a version is refused by package name")
    func malformedDatabaseNamesThePackage() {
        #expect(throws: SBOMError.malformedPackageDatabase(path: "/var/lib/dpkg/status", reason: "installed package broken has no Version field")) {
            try DpkgStatus.installedPackages(in: "Package: broken\nStatus: install ok installed\n")
        }
    }

    @Test("DEP-5 licenses become SPDX expressions; free text and unknown names say nothing")
    func licensesFromCopyrightFiles() {
        #expect(DebianCopyright.licenseExpression(in: DpkgStatusFixture.copyrights["/usr/share/doc/ttyd/copyright"]!) == "MIT")
        #expect(DebianCopyright.licenseExpression(in: DpkgStatusFixture.copyrights["/usr/share/doc/novnc/copyright"]!) == "(MIT OR Zlib) AND MPL-2.0")
        #expect(DebianCopyright.licenseExpression(in: DpkgStatusFixture.copyrights["/usr/share/doc/base-files/copyright"]!) == nil)
        let exception = "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\nFiles: *\nLicense: GPL-2+ with OpenSSL exception\n"
        #expect(DebianCopyright.licenseExpression(in: exception) == nil)
        let gpl = "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\nFiles: *\nLicense: GPL-2+\n\nFiles: lib/*\nLicense: LGPL-2.1+ or BSD-3-clause\n"
        #expect(DebianCopyright.licenseExpression(in: gpl) == "GPL-2.0-or-later AND (LGPL-2.1-or-later OR BSD-3-Clause)")
    }

    @Test("purls percent-encode epochs and plus signs and carry arch and distro")
    func packageURLs() {
        let ttyd = InstalledPackage(name: "ttyd", version: "1.7.7-8", architecture: "amd64")
        #expect(PackageURL.debian(ttyd, distro: "debian-13") == "pkg:deb/debian/ttyd@1.7.7-8?arch=amd64&distro=debian-13")
        let novnc = InstalledPackage(name: "libstdc++6", version: "1:14.2.0-19+b1", architecture: "amd64")
        #expect(PackageURL.debian(novnc, distro: "debian-13") == "pkg:deb/debian/libstdc%2B%2B6@1%3A14.2.0-19%2Bb1?arch=amd64&distro=debian-13")
    }

    @Test("version order agrees with dpkg --compare-versions")
    func versionOrderMatchesDpkg() async throws {
        let pairs = [
            ("1.0", "1.0-1"), ("1.0~rc1", "1.0"), ("1:0.1", "2.0"), ("2.36-9", "2.36-9+deb12u4"), ("1.7.7-8", "1.7.7-8+b1"),
            ("1.10", "1.9"), ("1.0a", "1.0"), ("1.0-1~bpo1", "1.0-1"), ("9.1.0016-1", "9.1.1230-2"), ("1.0", "1.0"), ("0:1.0", "1.0"),
        ]
        for (a, b) in pairs {
            let dpkgSaysOlder = try await Command.run(["dpkg", "--compare-versions", a, "lt", b]).status == 0
            #expect(DebianVersion.isOlder(a, than: b) == dpkgSaysOlder, "\(a) < \(b)")
            let dpkgSaysNewer = try await Command.run(["dpkg", "--compare-versions", b, "lt", a]).status == 0
            #expect(DebianVersion.isOlder(b, than: a) == dpkgSaysNewer, "\(b) < \(a)")
        }
    }

    @Test("diff: added, removed, upgraded and downgraded by name and architecture")
    func packageDiff() {
        let old = [
            InstalledPackage(name: "a", version: "1.0-1", architecture: "amd64"),
            InstalledPackage(name: "b", version: "2.0-1", architecture: "amd64"),
            InstalledPackage(name: "c", version: "1:1.0", architecture: "all"),
            InstalledPackage(name: "d", version: "1.0", architecture: "amd64"),
        ]
        let new = [
            InstalledPackage(name: "a", version: "1.0-1", architecture: "amd64"),
            InstalledPackage(name: "b", version: "2.0-1+deb13u1", architecture: "amd64"),
            InstalledPackage(name: "c", version: "9.0", architecture: "all"),
            InstalledPackage(name: "e", version: "0.5", architecture: "amd64"),
        ]
        let diff = PackageDiff(old: old, new: new)
        #expect(diff.added.map(\.name) == ["e"])
        #expect(diff.removed.map(\.name) == ["d"])
        #expect(diff.upgraded.map(\.name) == ["b"])
        #expect(diff.downgraded.map(\.name) == ["c"])
        #expect(diff.text.hasSuffix("1 added, 1 removed, 1 upgraded, 1 downgraded\n"))
        #expect(PackageDiff(old: old, new: old).isEmpty)
    }

    @Test("documents for this machine's ~900 packages, licenses from its copyright files, validate against the official schemas")
    func hostPackagesValidate() async throws {
        var packages = try DpkgStatus.installedPackages(in: try String(contentsOfFile: "/var/lib/dpkg/status", encoding: .utf8))
        for index in packages.indices {
            let path = "/usr/share/doc/\(packages[index].name)/copyright"
            if let text = try? String(contentsOfFile: path, encoding: .utf8) { packages[index].license = DebianCopyright.licenseExpression(in: text) }
        }
        #expect(packages.contains { $0.license != nil }, "some Debian 12 packages have DEP-5 copyright files")
        let inventory = SoftwareInventory(
            subject: .init(name: "host", version: "1"),
            operatingSystem: .init(distro: "debian", majorVersion: 12, productName: "Debian GNU/Linux 12 (bookworm)"),
            packages: packages, files: [], artifacts: [], base: nil
        )
        let spdx = try SBOMFormat.spdx.render(inventory, created: 1_700_000_000, tool: "labforge-test")
        try await SBOMSchema.expectValid(spdx, schema: "spdx-2.3.schema.json")
        let cyclonedx = try SBOMFormat.cyclonedx.render(inventory, created: 1_700_000_000, tool: "labforge-test")
        try await SBOMSchema.expectValid(cyclonedx, schema: "bom-1.6.schema.json")
        // Read back: the same packages by name, architecture and version.
        let key = { (p: InstalledPackage) in "\(p.name)|\(p.architecture)|\(p.version)" }
        #expect(try SBOMFile.packages(in: spdx, path: "spdx").map(key) == packages.map(key))
        #expect(try SBOMFile.packages(in: cyclonedx, path: "cdx").map(key) == packages.map(key))
    }
}
