// The two document formats labforge writes, and the one way their bytes are made.
import Crypto
import Foundation

/// An SBOM document format.
public enum SBOMFormat: String, Sendable, CaseIterable, Codable {
    /// SPDX 2.3 JSON.
    case spdx
    /// CycloneDX 1.6 JSON.
    case cyclonedx

    /// The media type (OCI `artifactType` when pushed).
    public var mediaType: String {
        switch self {
        case .spdx: return SPDXDocument.mediaType
        case .cyclonedx: return CycloneDXDocument.mediaType
        }
    }

    /// The conventional file name next to the disk.
    public var fileName: String {
        switch self {
        case .spdx: return "sbom.spdx.json"
        case .cyclonedx: return "sbom.cdx.json"
        }
    }

    /// The document bytes for an inventory: pretty-printed with sorted keys, ending in a newline.
    /// - Parameters:
    ///   - inventory: What is in the image.
    ///   - created: Seconds since the epoch (``SBOMTime/creation()``).
    ///   - tool: `labforge-<version>`.
    /// - Returns: The JSON bytes; the same arguments give the same bytes.
    /// - Throws: `EncodingError` (not expected for these types).
    public func render(_ inventory: SoftwareInventory, created: Int64, tool: String) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        var data: Data
        switch self {
        case .spdx: data = try encoder.encode(SPDXDocument(inventory: inventory, created: created, tool: tool))
        case .cyclonedx: data = try encoder.encode(CycloneDXDocument(inventory: inventory, created: created, tool: tool))
        }
        data.append(0x0A)
        return data
    }
}

extension SoftwareInventory {
    /// Hex sha256 of the inventory's sorted JSON: names documents uniquely and stably.
    public var contentKey: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(self)) ?? Data()
        return SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }
}
