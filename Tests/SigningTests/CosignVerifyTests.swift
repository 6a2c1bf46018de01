// Signatures labforge pushes, checked by the real `cosign verify` (Debian 13's cosign 2.5) with keys openssl made.
import Foundation
import OCI
import Registry
import Signing
import Testing
import TestSupport

@Suite("cosign signatures on a real registry", .serialized)
struct CosignVerifyTests {
    /// `openssl genpkey` (PKCS#8) or `openssl ecparam -genkey` (SEC1 after an EC PARAMETERS block), and the public key openssl derives.
    static func makeKey(in directory: TemporaryDirectory, name: String, sec1: Bool) async throws -> (privateKey: String, publicKey: String) {
        let key = directory.appending("\(name).pem")
        let pub = directory.appending("\(name).pub")
        if sec1 {
            try await Command.check(["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-out", key])
        } else {
            try await Command.check(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key])
        }
        try await Command.check(["openssl", "ec", "-in", key, "-pubout", "-out", pub])
        return (key, pub)
    }

    static func push(_ layout: SyntheticLayout, to registry: LocalRegistry, repository: RepositoryName, tag: String) async throws -> Digest {
        try await RegistryClient.withConnection(to: registry.address, credential: nil) { client in
            try await LayoutPusher(destination: client).push(layout: try ImageLayout(path: layout.path), sourceTag: nil, to: repository, tags: [try Tag(tag)]).digest
        }
    }

    static func cosignVerify(_ reference: String, publicKey: String, home: String) async throws -> CommandResult {
        try await Command.run(
            [try PeerTools.path("cosign"), "verify", "--key", publicKey, "--insecure-ignore-tlog=true", "--allow-insecure-registry", reference],
            environment: ["HOME": home, "DOCKER_CONFIG": home + "/.docker", "SIGSTORE_NO_CACHE": "1", "TUF_ROOT": home + "/.sigstore"])
    }

    @Test("cosign verify accepts the signature with the signer's key; another key, and a signature re-tagged onto another digest, fail")
    func cosignVerifies() async throws {
        let registry = try LocalRegistry()
        defer { registry.stop() }
        let work = try TemporaryDirectory()
        let keys = await (pkcs8: try Self.makeKey(in: work, name: "pkcs8", sec1: false), sec1: try Self.makeKey(in: work, name: "sec1", sec1: true))
        let repository = try RepositoryName("labs/signed")
        let first = try await SyntheticLayout.write(at: work.appending("one"), layerSizes: [30_000], tag: "v1")
        let second = try await SyntheticLayout.write(at: work.appending("two"), layerSizes: [31_000], tag: "v2")
        let firstDigest = try await Self.push(first, to: registry, repository: repository, tag: "1.0")
        let secondDigest = try await Self.push(second, to: registry, repository: repository, tag: "2.0")
        #expect(firstDigest != secondDigest)

        let pkcs8 = try #require(try SigningKey.load(path: keys.pkcs8.privateKey))
        #expect(!"\(pkcs8)".contains("PRIVATE"), "a printed key shows its source and fingerprint only")
        let sec1 = try #require(try SigningKey.load(path: nil, environment: [SigningKey.environmentVariable: try String(contentsOfFile: keys.sec1.privateKey, encoding: .utf8)]))
        #expect(sec1.source == "$LABFORGE_SIGN_KEY")
        // Our public key is the one openssl derives.
        #expect(pkcs8.publicKeyPEM == (try String(contentsOfFile: keys.pkcs8.publicKey, encoding: .utf8)))

        let signature = try await RegistryClient.withConnection(to: registry.address, credential: nil) { client in
            let signature = try await CosignSignature.sign(firstDigest, in: repository, client: client, key: pkcs8)
            _ = try await CosignSignature.sign(secondDigest, in: repository, client: client, key: sec1)
            return signature
        }
        let home = work.appending("home")
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        let image = "\(registry.address)/\(repository)"

        let accepted = try await Self.cosignVerify("\(image)@\(firstDigest)", publicKey: keys.pkcs8.publicKey, home: home)
        #expect(accepted.status == 0, "\(accepted.stderr)")
        #expect(accepted.stdout.contains(firstDigest.description))
        let acceptedSEC1 = try await Self.cosignVerify("\(image)@\(secondDigest)", publicKey: keys.sec1.publicKey, home: home)
        #expect(acceptedSEC1.status == 0, "\(acceptedSEC1.stderr)")

        let otherKey = try await Self.cosignVerify("\(image)@\(firstDigest)", publicKey: keys.sec1.publicKey, home: home)
        #expect(otherKey.status != 0, "another key must not verify")

        // Tampering: the first image's signature manifest put under the second image's .sig tag.
        try await RegistryClient.withConnection(to: registry.address, credential: nil) { client in
            let manifest = try #require(try await client.manifest(signature.description, in: repository))
            _ = try await client.putManifest(manifest.bytes, mediaType: MediaType.imageManifest, reference: CosignSignature.tag(for: secondDigest), in: repository)
        }
        let retagged = try await Self.cosignVerify("\(image)@\(secondDigest)", publicKey: keys.pkcs8.publicKey, home: home)
        #expect(retagged.status != 0, "a signature of another digest must not verify")
    }

    @Test("a key that is not EC P-256 PEM is refused with what to do, without echoing it")
    func badKeys() async throws {
        let work = try TemporaryDirectory()
        let rsa = work.appending("rsa.pem")
        try await Command.check(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", rsa])
        do {
            _ = try SigningKey.load(path: rsa)
            Issue.record("an RSA key must be refused")
        } catch let error as SigningError {
            #expect("\(error)".contains(rsa) && "\(error)".contains("openssl genpkey"))
            #expect(!"\(error)".contains("BEGIN"))
        }
        #expect(throws: SigningError.self) { try SigningKey(pem: "hello", source: "test") }
        #expect(try SigningKey.load(path: nil, environment: [:]) == nil)
    }
}
