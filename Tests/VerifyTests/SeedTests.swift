// The NoCloud seed as cloud-init finds it: an ISO9660 volume labelled cidata, read back with xorriso and blkid.
import Archive
import Foundation
import Testing
import TestSupport
@testable import Verify

@Suite("NoCloud seed")
struct SeedTests {
    @Test("ISO9660Writer writes a cidata volume whose files xorriso extracts byte for byte")
    func isoReadsBack() async throws {
        let scratch = try TemporaryDirectory(prefix: "labforge-verify-iso")
        let iso = scratch.appending("seed.iso")
        let userData = Data("#cloud-config\nusers: []\n".utf8)
        let metaData = Data("instance-id: test-1\n".utf8)
        try ISO9660Writer.write(
            [ISO9660File(name: "meta-data", contents: metaData), ISO9660File(name: "user-data", contents: userData)],
            to: iso, volumeID: "cidata")
        let listing = try await Command.check(["xorriso", "-indev", iso, "-find", "/", "-type", "f"]).stdout
        #expect(listing.contains("'/user-data'"))
        #expect(listing.contains("'/meta-data'"))
        let pvd = try await Command.check(["xorriso", "-indev", iso, "-pvd_info"])
        // The primary descriptor holds ISO9660 d-characters (upper case); the Joliet descriptor keeps `cidata`.
        #expect((pvd.stdout + pvd.stderr).contains("Volume Id    : CIDATA"))
        // cloud-init's NoCloud datasource finds its seed by filesystem label through blkid (it accepts either case).
        let blkid = try await Command.check(["blkid", "-p", "-o", "export", iso]).stdout
        #expect(blkid.contains("LABEL=cidata"))
        #expect(blkid.contains("TYPE=iso9660"))
        let out = scratch.appending("out")
        try await Command.check(["xorriso", "-osirrox", "on", "-indev", iso, "-extract", "/", out])
        #expect(FileManager.default.contents(atPath: out + "/user-data") == userData)
        #expect(FileManager.default.contents(atPath: out + "/meta-data") == metaData)
        // Written through a temp file: nothing else is left beside it.
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path).sorted() == ["out", "seed.iso"])
    }

    @Test("ISO9660Writer refuses a volume id longer than 32 characters and writes nothing")
    func longVolumeID() throws {
        let scratch = try TemporaryDirectory(prefix: "labforge-verify-iso")
        #expect(throws: ArchiveError.self) {
            try ISO9660Writer.write([], to: scratch.appending("x.iso"), volumeID: String(repeating: "v", count: 33))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path).isEmpty)
    }

    @Test("a seed carries a fresh key, a SHA-512 password hash and a unique instance-id")
    func seedContents() async throws {
        let scratch = try TemporaryDirectory(prefix: "labforge-verify-seed")
        let first = try await NoCloudSeed.create(userName: "student", in: scratch.path)
        let out = scratch.appending("out")
        try await Command.check(["xorriso", "-osirrox", "on", "-indev", first.isoPath, "-extract", "/", out])
        let userData = try String(contentsOfFile: out + "/user-data", encoding: .utf8)
        let metaData = try String(contentsOfFile: out + "/meta-data", encoding: .utf8)
        #expect(userData.hasPrefix("#cloud-config\n"))
        #expect(userData.contains("- name: student"))
        #expect(userData.contains(first.publicKey))
        #expect(first.publicKey.hasPrefix("ssh-ed25519 "))
        #expect(userData.contains("password: '$6$"))
        #expect(!userData.contains(first.password))
        #expect(metaData.contains("instance-id: \(first.instanceID)"))
        // The key pair matches: ssh-keygen derives the same public key from the private one.
        let derived = try await Command.check(["ssh-keygen", "-y", "-f", first.privateKeyPath]).stdout
        #expect(first.publicKey.hasPrefix(derived.trimmingCharacters(in: .whitespacesAndNewlines)))
        // The hash is the password's: openssl recomputes it with the same salt.
        let hashLine = userData.split(separator: "\n").first { $0.trimmingCharacters(in: .whitespaces).hasPrefix("password:") }!
        let hash = hashLine.split(separator: "'")[1]
        let salt = hash.split(separator: "$")[1]
        let again = try await Command.check(["openssl", "passwd", "-6", "-salt", String(salt), "-stdin"], input: Data(first.password.utf8)).stdout
        #expect(again.trimmingCharacters(in: .whitespacesAndNewlines) == String(hash))
        let other = try TemporaryDirectory(prefix: "labforge-verify-seed")
        let second = try await NoCloudSeed.create(userName: "student", in: other.path)
        #expect(second.instanceID != first.instanceID)
        #expect(second.password != first.password)
        #expect(second.publicKey != first.publicKey)
    }
}
