// A recipe's fingerprint: sha256 over its metadata and resolved plan, the recipe's part of its image's cache key.
import Crypto
import Foundation
import LabforgeRecipe

extension Recipe {
    /// sha256 (hex) of the name, version, base and every planned step; equal recipes give equal fingerprints.
    /// It names the recipe only: image and step-cache keys add the engine identity and the uploads' contents.
    /// - Throws: ``CustomizeError/cacheKeyUnencodable(subject:reason:)`` when a value does not encode (no fallback).
    public var fingerprint: String {
        get throws {
            struct Fingerprinted: Encodable {
                var name: String
                var version: String
                var base: BaseImage
                var diskSizeGiB: Int?
                var steps: [Step]
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let value = Fingerprinted(name: name, version: version, base: base, diskSizeGiB: diskSizeGiB, steps: plan.map(\.step))
            let data: Data
            do {
                data = try encoder.encode(value)
            } catch {
                throw CustomizeError.cacheKeyUnencodable(subject: "recipe \(name)", reason: "\(error)")
            }
            return SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
        }
    }
}
