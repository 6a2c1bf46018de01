// The publishers' checksum file formats, parsed from fixtures written like the real files.
import Bases
import Foundation
import LabforgeRecipe
import Testing

@Suite("Checksum files and pins")
struct ChecksumFileTests {
    static let sha512a = String(repeating: "a1", count: 64)
    static let sha512b = String(repeating: "b2", count: 64)
    static let sha256a = String(repeating: "c3", count: 32)

    @Test("Debian SHA512SUMS (GNU format)")
    func debianSHA512SUMS() {
        let text = """
            \(Self.sha512b)  debian-13-genericcloud-amd64-20260712-2537.json
            \(Self.sha512a)  debian-13-genericcloud-amd64-20260712-2537.qcow2
            \(Self.sha512b)  debian-13-genericcloud-amd64-20260712-2537.raw

            """
        let file = ChecksumFile(parsing: text)
        #expect(file.checksums(for: "debian-13-genericcloud-amd64-20260712-2537.qcow2") == [.sha512(Self.sha512a)])
        #expect(file.entries.count == 3)
    }

    @Test("Ubuntu SHA256SUMS (binary-mode asterisk)")
    func ubuntuSHA256SUMS() {
        let text = "\(Self.sha256a) *ubuntu-24.04-server-cloudimg-amd64.img\n\(Self.sha512a.prefix(64)) *ubuntu-24.04-server-cloudimg-amd64.tar.gz\n"
        let file = ChecksumFile(parsing: text)
        #expect(file.checksums(for: "https://x/ubuntu-24.04-server-cloudimg-amd64.img") == [.sha256(Self.sha256a)])
    }

    @Test("Fedora CHECKSUM (BSD tags inside a PGP clearsigned block)")
    func fedoraCHECKSUM() {
        let text = """
            -----BEGIN PGP SIGNED MESSAGE-----
            Hash: SHA256

            # Fedora-Cloud-Base-Generic-43-1.6.x86_64.qcow2: 570949632 bytes
            SHA256 (Fedora-Cloud-Base-Generic-43-1.6.x86_64.qcow2) = \(Self.sha256a.uppercased())
            # Fedora-Cloud-Base-AmazonEC2-43-1.6.x86_64.raw.xz: 123 bytes
            SHA256 (Fedora-Cloud-Base-AmazonEC2-43-1.6.x86_64.raw.xz) = \(String(repeating: "d4", count: 32))
            -----BEGIN PGP SIGNATURE-----

            iQIzBAEBCAAdFiEE...
            -----END PGP SIGNATURE-----

            """
        let file = ChecksumFile(parsing: text)
        #expect(file.checksums(for: "Fedora-Cloud-Base-Generic-43-1.6.x86_64.qcow2") == [.sha256(Self.sha256a)])
        #expect(file.entries.count == 2)
    }

    @Test("pin comparison: matches, differs, not listed")
    func pinComparison() {
        let base = WellKnownBases.debian13
        let file = URL(string: base.image.url)!.lastPathComponent
        let matching = "\(base.image.checksum.hex)  \(file)\n"
        #expect(PinCheck.compare(base, with: matching).status == .matches)
        let differing = "\(Self.sha512a)  \(file)\n"
        let result = PinCheck.compare(base, with: differing)
        #expect(result.status == .differs)
        #expect(result.published == ["sha512:\(Self.sha512a)"])
        #expect(PinCheck.compare(base, with: "\(Self.sha512a)  other.qcow2\n").status == .notListed)
    }

    @Test("every built-in pin is a well-formed checksum of a dated https URL")
    func builtInPins() {
        #expect(WellKnownBases.all.count >= 6)
        #expect(Set(WellKnownBases.all.map(\.image.name)).count == WellKnownBases.all.count)
        for base in WellKnownBases.all {
            #expect(base.image.checksum.isWellFormed, "\(base.image.name)")
            #expect(base.image.url.hasPrefix("https://"))
            #expect(!base.image.url.contains("latest"), "\(base.image.name) must pin a build, not latest")
        }
        #expect(WellKnownBases.named("debian-13-genericcloud") == WellKnownBases.debian13)
        #expect(WellKnownBases.all.map(\.image) == UpstreamImage.wellKnown, "recipes and `labforge bases` name the same images")
        #expect(BaseImage.debian13GenericCloud == .upstream(WellKnownBases.debian13.image))
    }

    @Test("checksum strings parse with or without an algorithm tag")
    func checksumParsing() throws {
        #expect(try Checksum.parse("sha256:" + Self.sha256a) == .sha256(Self.sha256a))
        #expect(try Checksum.parse(Self.sha512a.uppercased()) == .sha512(Self.sha512a))
        #expect(throws: BasesError.self) { try Checksum.parse("sha256:1234") }
        #expect(throws: BasesError.self) { try Checksum.parse(String(repeating: "z", count: 64)) }
    }
}
