// What the signing tests start from: a real registry, a scratch directory with an empty home for cosign, and two
// keys openssl made (the signer's PKCS#8 one, mode 600 as labforge wants, and another in SEC1).
import Foundation
import TestSupport

/// A registry and keys for one test; stop the registry when done.
struct SigningRegistry {
    /// The registry.
    let registry: LocalRegistry
    /// Scratch directory (keys, layouts, home).
    let work: TemporaryDirectory
    /// The signer's key files.
    let signer: (privateKey: String, publicKey: String)
    /// Another key's files, which must not verify the signer's signatures.
    let other: (privateKey: String, publicKey: String)
    /// `HOME` for cosign and labforge: no credentials, no sigstore cache from the machine.
    let home: String

    /// Starts the registry and makes the keys.
    /// - Returns: The fixture.
    /// - Throws: When the registry or openssl fails.
    static func start() async throws -> SigningRegistry {
        let registry = try LocalRegistry()
        let work = try TemporaryDirectory()
        let signer = try await CosignVerifyTests.makeKey(in: work, name: "signer", sec1: false)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: signer.privateKey)
        let other = try await CosignVerifyTests.makeKey(in: work, name: "other", sec1: true)
        let home = work.appending("home")
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        return SigningRegistry(registry: registry, work: work, signer: signer, other: other, home: home)
    }
}
