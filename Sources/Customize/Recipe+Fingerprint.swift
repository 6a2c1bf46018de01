// A recipe's fingerprint: sha256 over its metadata and resolved plan, the cache key of its image.
import Crypto
import Foundation
import LabforgeRecipe

extension Recipe {
    /// sha256 (hex) of the name, version, base and every planned step; equal recipes give equal fingerprints.
    public var fingerprint: String {
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
        let data = (try? encoder.encode(value)) ?? Data(name.utf8)
        return SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }
}
