// A signing key file is read only when it is yours and nobody else may read it, as ssh reads a private key.
import Foundation
import Glibc
import Signing
import Testing
import TestSupport

@Suite("signing key file permissions")
struct SigningKeyFileTests {
    /// A fresh P-256 key (openssl writes it 0600) whose mode the test then sets.
    static func key(in directory: TemporaryDirectory, mode: mode_t) async throws -> String {
        let path = directory.appending("k.pem")
        try await Command.check(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", path])
        #expect(chmod(path, mode) == 0)
        return path
    }

    @Test("a 0644 key is refused as ssh refuses it, naming the file and the chmod", arguments: [0o644, 0o640, 0o604, 0o660, 0o601] as [mode_t])
    func tooOpen(mode: mode_t) async throws {
        let work = try TemporaryDirectory()
        let path = try await Self.key(in: work, mode: mode)
        #expect(throws: SigningError.keyFileTooOpen(path: path, mode: UInt32(mode))) { try SigningKey.load(path: path) }
        do {
            _ = try SigningKey.load(path: path)
        } catch {
            let octal = String(mode, radix: 8)
            #expect("\(error)" == "permissions 0\(octal) for \(path) are too open: a signing key must be accessible to its owner alone; chmod 600 \(path)")
        }
    }

    @Test("a key of mode 600 or 400 loads")
    func privateModes() async throws {
        let work = try TemporaryDirectory()
        for mode: mode_t in [0o600, 0o400] {
            let path = try await Self.key(in: work, mode: mode)
            #expect(try SigningKey.load(path: path) != nil)
            try FileManager.default.removeItem(atPath: path)
        }
    }

    @Test("a key owned by another user is refused, even with mode 600", .enabled(if: geteuid() == 0, "only root can give a file away"))
    func otherOwner() async throws {
        let work = try TemporaryDirectory()
        let path = try await Self.key(in: work, mode: 0o600)
        #expect(chown(path, 65534, 65534) == 0)
        #expect(throws: SigningError.keyFileNotOwned(path: path, owner: 65534, user: 0)) { try SigningKey.load(path: path) }
    }

    @Test("a directory is not a key")
    func directory() throws {
        let work = try TemporaryDirectory()
        #expect(throws: SigningError.keyUnreadable(source: work.path, reason: "not a regular file")) { try SigningKey.load(path: work.path) }
    }

    @Test("`push --sign-key` with a 0644 key stops first, with ssh's words, before the layout is read")
    func cliRefusesOpenKey() async throws {
        let work = try TemporaryDirectory()
        let path = try await Self.key(in: work, mode: 0o644)
        let result = try await Command.labforge(["push", work.appending("no-layout"), "127.0.0.1:9/labs/x:1", "--sign-key", path])
        #expect(result.status != 0)
        #expect(result.stderr.contains("permissions 0644 for \(path) are too open"), "\(result.stderr)")
        #expect(result.stderr.contains("chmod 600 \(path)"))
    }
}
