// Reads the package list back from an SBOM file labforge (or another tool) wrote: SPDX 2.3 or CycloneDX JSON.
import Foundation

/// Package lists from SBOM documents, for `labforge diff`.
public enum SBOMFile {
    /// Whether `path` looks like a JSON document rather than a disk (first non-space byte is `{`).
    /// - Parameter path: A host file.
    /// - Returns: True for JSON.
    public static func isJSON(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 64)) ?? Data()
        return head.first { ![0x20, 0x0A, 0x0D, 0x09].contains($0) } == UInt8(ascii: "{")
    }

    /// The Debian packages an SBOM lists (those with a `pkg:deb/` purl).
    /// - Parameters:
    ///   - data: The document bytes.
    ///   - path: Named in errors.
    /// - Returns: The packages, sorted.
    /// - Throws: ``SBOMError/unrecognizedDocument(path:reason:)``.
    public static func packages(in data: Data, path: String) throws -> [InstalledPackage] {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw SBOMError.unrecognizedDocument(path: path, reason: "not a JSON object")
        }
        var purls: [String] = []
        if object["spdxVersion"] != nil {
            for package in object["packages"] as? [[String: Any]] ?? [] {
                for reference in package["externalRefs"] as? [[String: Any]] ?? [] where reference["referenceType"] as? String == "purl" {
                    if let locator = reference["referenceLocator"] as? String { purls.append(locator) }
                }
            }
        } else if object["bomFormat"] as? String == "CycloneDX" {
            purls = (object["components"] as? [[String: Any]] ?? []).compactMap { $0["purl"] as? String }
        } else {
            throw SBOMError.unrecognizedDocument(path: path, reason: "neither spdxVersion nor bomFormat CycloneDX")
        }
        return purls.compactMap(package(fromPurl:)).sorted()
    }

    /// `pkg:deb/VENDOR/NAME@VERSION?arch=ARCH&…` → a package (nil for other purl types).
    static func package(fromPurl purl: String) -> InstalledPackage? {
        guard purl.hasPrefix("pkg:deb/") else { return nil }
        let withoutQualifiers = purl.split(separator: "?", maxSplits: 1)
        let path = withoutQualifiers[0].dropFirst("pkg:deb/".count)
        guard let at = path.lastIndex(of: "@"), let slash = path[..<at].lastIndex(of: "/") else { return nil }
        let name = PackageURL.decode(String(path[path.index(after: slash)..<at]))
        let version = PackageURL.decode(String(path[path.index(after: at)...]))
        var architecture = "unknown"
        if withoutQualifiers.count == 2 {
            for pair in withoutQualifiers[1].split(separator: "&") where pair.hasPrefix("arch=") {
                architecture = PackageURL.decode(String(pair.dropFirst(5)))
            }
        }
        return InstalledPackage(name: name, version: version, architecture: architecture)
    }
}
