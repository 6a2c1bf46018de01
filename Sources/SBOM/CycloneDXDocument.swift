// CycloneDX 1.6 JSON (cyclonedx.org/docs/1.6/json): the subset labforge writes.

/// A CycloneDX 1.6 BOM.
public struct CycloneDXDocument: Sendable, Codable, Equatable {
    /// `CycloneDX`.
    public var bomFormat = "CycloneDX"
    /// `1.6`.
    public var specVersion = "1.6"
    /// `urn:uuid:…`, derived from the inventory so the same disk gives the same BOM.
    public var serialNumber: String
    /// 1.
    public var version = 1
    /// The image and the tool.
    public var metadata: Metadata
    /// Installed packages, the operating system, pinned artifacts and recipe files.
    public var components: [Component]
    /// The image depends on every component.
    public var dependencies: [Dependency]

    /// `metadata`.
    public struct Metadata: Sendable, Codable, Equatable {
        public var timestamp: String
        public var tools: Tools
        public var component: Component
    }

    /// `metadata.tools` (1.5+ object form).
    public struct Tools: Sendable, Codable, Equatable {
        public var components: [Component]
    }

    /// A component.
    public struct Component: Sendable, Codable, Equatable {
        public var type: String
        public var bomRef: String?
        public var name: String
        public var version: String?
        public var supplier: OrganizationalEntity?
        public var description: String?
        public var purl: String?
        public var licenses: [LicenseChoice]?
        public var hashes: [Hash]?
        public var externalReferences: [ExternalReference]?
        public var properties: [Property]?

        enum CodingKeys: String, CodingKey {
            case type, bomRef = "bom-ref", name, version, supplier, description, purl, licenses, hashes, externalReferences, properties
        }
    }

    /// A supplier.
    public struct OrganizationalEntity: Sendable, Codable, Equatable {
        public var name: String
    }

    /// A license expression.
    public struct LicenseChoice: Sendable, Codable, Equatable {
        public var expression: String
    }

    /// A hash.
    public struct Hash: Sendable, Codable, Equatable {
        public var alg: String
        public var content: String
    }

    /// A URL.
    public struct ExternalReference: Sendable, Codable, Equatable {
        public var type: String
        public var url: String
    }

    /// A name/value property.
    public struct Property: Sendable, Codable, Equatable {
        public var name: String
        public var value: String
    }

    /// A dependency edge.
    public struct Dependency: Sendable, Codable, Equatable {
        public var ref: String
        public var dependsOn: [String]?
    }
}

extension CycloneDXDocument {
    /// The CycloneDX media type.
    public static let mediaType = "application/vnd.cyclonedx+json"

    /// The BOM for an inventory.
    /// - Parameters:
    ///   - inventory: What is in the image.
    ///   - created: Seconds since the epoch.
    ///   - tool: `labforge-<version>`.
    /// - Returns: The BOM; the same inventory and time give the same BOM.
    public init(inventory: SoftwareInventory, created: Int64, tool: String) {
        let imageRef = "image:\(inventory.subject.name)"
        var components: [Component] = []
        let os = inventory.operatingSystem
        components.append(Component(
            type: "operating-system", bomRef: "os:\(os.purlDistro)", name: os.distro, version: String(os.majorVersion),
            description: os.productName
        ))
        if let base = inventory.base {
            components.append(Component(
                type: "file", bomRef: "base:\(base.name)", name: base.name, description: "Base image the recipe customized",
                hashes: base.sha256.map { [Hash(alg: "SHA-256", content: $0)] },
                externalReferences: base.url.map { [ExternalReference(type: "distribution", url: $0)] }
            ))
        }
        for package in inventory.packages {
            let purl = PackageURL.debian(package, vendor: os.distro, distro: os.purlDistro)
            var properties = [Property(name: "labforge:package:architecture", value: package.architecture)]
            if package.sourceName != package.name || package.sourceVersion != package.version {
                properties.append(Property(name: "labforge:package:source", value: "\(package.sourceName) \(package.sourceVersion)"))
            }
            components.append(Component(
                type: "library", bomRef: purl, name: package.name, version: package.version,
                supplier: package.maintainer.map { OrganizationalEntity(name: $0) }, description: package.summary, purl: purl,
                licenses: package.license.map { [LicenseChoice(expression: $0)] },
                externalReferences: package.homepage.flatMap(SPDXDocument.homepage).map { [ExternalReference(type: "website", url: $0)] },
                properties: properties
            ))
        }
        for artifact in inventory.artifacts {
            components.append(Component(
                type: "file", bomRef: "artifact:\(artifact.name)", name: artifact.name, description: "Download pinned by the recipe",
                hashes: [Hash(alg: "SHA-256", content: artifact.sha256)],
                externalReferences: [ExternalReference(type: "distribution", url: artifact.url)]
            ))
        }
        for file in inventory.files {
            components.append(Component(
                type: "file", bomRef: "file:\(file.path)", name: file.path,
                hashes: [Hash(alg: "SHA-1", content: file.sha1), Hash(alg: "SHA-256", content: file.sha256)]
            ))
        }
        let key = inventory.contentKey
        let uuid = [key.prefix(8), key.dropFirst(8).prefix(4), "5" + key.dropFirst(13).prefix(3),
                    "8" + key.dropFirst(17).prefix(3), key.dropFirst(20).prefix(12)].joined(separator: "-")
        self.init(
            serialNumber: "urn:uuid:\(uuid)",
            metadata: Metadata(
                timestamp: SBOMTime.rfc3339(created),
                tools: Tools(components: [Component(type: "application", name: "labforge", version: tool.split(separator: "-", maxSplits: 1).last.map(String.init))]),
                component: Component(type: "container", bomRef: imageRef, name: inventory.subject.name, version: inventory.subject.version)
            ),
            components: components,
            dependencies: [Dependency(ref: imageRef, dependsOn: components.compactMap(\.bomRef))]
        )
    }
}
