// The fingerprint of an image: everything its disk depends on, hashed — the key of every cached stage.
import Bases
import Crypto
import Customize
import EngineIdentity
import Foundation
import LabforgeRecipe

/// sha256 over the recipe's steps and metadata, the contents of every file it uploads, the base image's
/// identity, labforge's version and its customization engine's identity (``EngineIdentity/customization``, derived
/// from the sources at build time). Computed without touching any disk image, so an unchanged rebuild costs
/// milliseconds.
public struct ImageFingerprint: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Lower-case hex sha256.
    public var hex: String
    /// The base's identity as hashed (checksum, bootstrap key, or a local file's path/size/mtime).
    public var baseIdentity: String

    /// Computes the fingerprint of `recipe`.
    /// - Parameters:
    ///   - recipe: The recipe.
    ///   - store: The base store (its cache keys name bootstrapped bases).
    ///   - toolVersion: labforge's version.
    ///   - base: The base as built when it differs from the recipe's (a bootstrap with the recipe's packages).
    ///   - engine: The customization engine's identity.
    /// - Throws: ``CustomizeError/uploadUnreadable(path:reason:)`` naming an upload that cannot be read,
    ///   ``CustomizeError/cacheKeyUnencodable(subject:reason:)``.
    public init(
        recipe: Recipe, store: BaseImageStore, toolVersion: String, base: BaseImage? = nil, engine: String = EngineIdentity.customization
    ) throws {
        switch base ?? recipe.base {
        case .upstream(let image): baseIdentity = image.checksum.tagged
        case .debianBootstrap(let spec): baseIdentity = "debian-bootstrap:" + store.cacheKey(for: spec)
        case .localFile(let path, _): baseIdentity = Customizer.fileIdentity(path)
        }
        var hasher = SHA256()
        hasher.update(data: Data("labforge \(toolVersion)\nengine \(engine)\nrecipe \(try recipe.fingerprint)\nbase \(baseIdentity)\n".utf8))
        for case .upload(let source, _, _) in recipe.plan.map(\.step) {
            hasher.update(data: Data("upload \(source) \(try UploadDigest.of(source))\n".utf8))
        }
        hex = hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// A fingerprint computed elsewhere (a pod image's root tree).
    /// - Parameters:
    ///   - hex: Hex sha256.
    ///   - baseIdentity: What the image was built on.
    init(hex: String, baseIdentity: String) {
        self.hex = hex
        self.baseIdentity = baseIdentity
    }

    /// The first 16 hex digits, for file names and messages.
    public var short: String { String(hex.prefix(16)) }

    public var description: String { hex }
}
