// SPDX 2.3 JSON (spdx.github.io/spdx-spec/v2.3): the subset labforge writes, one Codable type per object.

/// An SPDX 2.3 document.
public struct SPDXDocument: Sendable, Codable, Equatable {
    /// `SPDX-2.3`.
    public var spdxVersion = "SPDX-2.3"
    /// `CC0-1.0`, as the spec requires.
    public var dataLicense = "CC0-1.0"
    /// `SPDXRef-DOCUMENT`.
    public var SPDXID = "SPDXRef-DOCUMENT"
    /// Document name.
    public var name: String
    /// A URI unique to this document.
    public var documentNamespace: String
    /// Who and when.
    public var creationInfo: CreationInfo
    /// Packages: the image, its base, installed packages and pinned artifacts.
    public var packages: [Package]
    /// Files the recipe put in the guest.
    public var files: [File]?
    /// DESCRIBES, CONTAINS, DESCENDANT_OF.
    public var relationships: [Relationship]

    /// `creationInfo`.
    public struct CreationInfo: Sendable, Codable, Equatable {
        /// RFC 3339 UTC time.
        public var created: String
        /// E.g. `Tool: labforge-0.1.0`.
        public var creators: [String]
    }

    /// A package.
    public struct Package: Sendable, Codable, Equatable {
        public var SPDXID: String
        public var name: String
        public var versionInfo: String?
        public var supplier: String?
        public var downloadLocation: String
        public var filesAnalyzed: Bool
        public var homepage: String?
        public var summary: String?
        public var sourceInfo: String?
        public var licenseConcluded: String
        public var licenseDeclared: String
        public var copyrightText: String
        public var checksums: [Checksum]?
        public var externalRefs: [ExternalRef]?
        public var primaryPackagePurpose: String?
    }

    /// A file.
    public struct File: Sendable, Codable, Equatable {
        public var SPDXID: String
        public var fileName: String
        public var checksums: [Checksum]
        public var licenseConcluded: String
        public var copyrightText: String
    }

    /// A checksum (`SHA1`, `SHA256`).
    public struct Checksum: Sendable, Codable, Equatable {
        public var algorithm: String
        public var checksumValue: String
    }

    /// An external reference (a purl).
    public struct ExternalRef: Sendable, Codable, Equatable {
        public var referenceCategory: String
        public var referenceType: String
        public var referenceLocator: String
    }

    /// A relationship between two elements.
    public struct Relationship: Sendable, Codable, Equatable {
        public var spdxElementId: String
        public var relationshipType: String
        public var relatedSpdxElement: String
    }
}

extension SPDXDocument {
    /// The SPDX media type, used as the OCI `artifactType`.
    public static let mediaType = "application/spdx+json"

    /// The document for an inventory.
    /// - Parameters:
    ///   - inventory: What is in the image.
    ///   - created: Seconds since the epoch (SOURCE_DATE_EPOCH in reproducible builds).
    ///   - tool: `labforge-<version>`.
    /// - Returns: The document; the same inventory and time give the same document.
    public init(inventory: SoftwareInventory, created: Int64, tool: String) {
        let imageID = "SPDXRef-Image"
        var ids = SPDXIdentifiers()
        var packages: [Package] = []
        var relationships = [Relationship(spdxElementId: "SPDXRef-DOCUMENT", relationshipType: "DESCRIBES", relatedSpdxElement: imageID)]
        packages.append(Package(
            SPDXID: imageID, name: inventory.subject.name, versionInfo: inventory.subject.version, supplier: nil,
            downloadLocation: "NOASSERTION", filesAnalyzed: false, homepage: nil,
            summary: "Disk image running \(inventory.operatingSystem.productName)", sourceInfo: nil,
            licenseConcluded: "NOASSERTION", licenseDeclared: "NOASSERTION", copyrightText: "NOASSERTION",
            checksums: nil, externalRefs: nil, primaryPackagePurpose: "OPERATING_SYSTEM"
        ))
        if let base = inventory.base {
            let id = ids.make("Base-\(base.name)")
            packages.append(Package(
                SPDXID: id, name: base.name, versionInfo: nil, supplier: nil, downloadLocation: base.url ?? "NOASSERTION",
                filesAnalyzed: false, homepage: nil, summary: "Base image the recipe customized", sourceInfo: nil,
                licenseConcluded: "NOASSERTION", licenseDeclared: "NOASSERTION", copyrightText: "NOASSERTION",
                checksums: base.sha256.map { [Checksum(algorithm: "SHA256", checksumValue: $0)] }, externalRefs: nil,
                primaryPackagePurpose: "OPERATING_SYSTEM"
            ))
            relationships.append(Relationship(spdxElementId: imageID, relationshipType: "DESCENDANT_OF", relatedSpdxElement: id))
        }
        for package in inventory.packages {
            let id = ids.make("Package-deb-\(package.name)-\(package.architecture)")
            let source = package.sourceName == package.name && package.sourceVersion == package.version
                ? nil : "built from source package \(package.sourceName) \(package.sourceVersion)"
            packages.append(Package(
                SPDXID: id, name: package.name, versionInfo: package.version, supplier: package.maintainer.map(Self.supplier),
                downloadLocation: "NOASSERTION", filesAnalyzed: false, homepage: package.homepage.flatMap(Self.homepage),
                summary: package.summary, sourceInfo: source, licenseConcluded: "NOASSERTION",
                licenseDeclared: package.license ?? "NOASSERTION", copyrightText: "NOASSERTION", checksums: nil,
                externalRefs: [ExternalRef(
                    referenceCategory: "PACKAGE-MANAGER", referenceType: "purl",
                    referenceLocator: PackageURL.debian(package, vendor: inventory.operatingSystem.distro, distro: inventory.operatingSystem.purlDistro)
                )],
                primaryPackagePurpose: "LIBRARY"
            ))
            relationships.append(Relationship(spdxElementId: imageID, relationshipType: "CONTAINS", relatedSpdxElement: id))
        }
        for artifact in inventory.artifacts {
            let id = ids.make("Artifact-\(artifact.name)")
            packages.append(Package(
                SPDXID: id, name: artifact.name, versionInfo: nil, supplier: nil, downloadLocation: artifact.url,
                filesAnalyzed: false, homepage: nil, summary: "Download pinned by the recipe", sourceInfo: nil,
                licenseConcluded: "NOASSERTION", licenseDeclared: "NOASSERTION", copyrightText: "NOASSERTION",
                checksums: [Checksum(algorithm: "SHA256", checksumValue: artifact.sha256)], externalRefs: nil,
                primaryPackagePurpose: "INSTALL"
            ))
            relationships.append(Relationship(spdxElementId: id, relationshipType: "BUILD_DEPENDENCY_OF", relatedSpdxElement: imageID))
        }
        var files: [File] = []
        for file in inventory.files {
            let id = ids.make("File-\(file.path)")
            files.append(File(
                SPDXID: id, fileName: "." + file.path,
                checksums: [Checksum(algorithm: "SHA1", checksumValue: file.sha1), Checksum(algorithm: "SHA256", checksumValue: file.sha256)],
                licenseConcluded: "NOASSERTION", copyrightText: "NOASSERTION"
            ))
            relationships.append(Relationship(spdxElementId: imageID, relationshipType: "CONTAINS", relatedSpdxElement: id))
        }
        let name = inventory.subject.version.map { "\(inventory.subject.name)-\($0)" } ?? inventory.subject.name
        self.init(
            name: name,
            documentNamespace: "https://spdx.org/spdxdocs/labforge/\(PackageURL.encode(name))-\(inventory.contentKey)",
            creationInfo: CreationInfo(created: SBOMTime.rfc3339(created), creators: ["Tool: \(tool)"]),
            packages: packages, files: files.isEmpty ? nil : files, relationships: relationships
        )
    }

    /// `Maintainer` (`Name <email>`) in SPDX's agent syntax: `Organization: Name (email)` for teams, else `Person: …`.
    static func supplier(_ maintainer: String) -> String {
        var name = maintainer
        var email: String?
        if let open = maintainer.lastIndex(of: "<"), let close = maintainer.lastIndex(of: ">"), open < close {
            name = maintainer[..<open].trimmingCharacters(in: .whitespaces)
            email = String(maintainer[maintainer.index(after: open)..<close])
        }
        let lower = name.lowercased()
        let isGroup = ["team", "maintainers", "group", "project", "packagers", "developers", "debian"].contains { lower.contains($0) }
        return "\(isGroup ? "Organization" : "Person"): \(name)" + (email.map { " (\($0))" } ?? "")
    }

    /// The schema wants a URI; dpkg's Homepage is sometimes not one.
    static func homepage(_ value: String) -> String? {
        value.hasPrefix("http://") || value.hasPrefix("https://") ? value : nil
    }
}

/// Unique `SPDXRef-…` identifiers: letters, digits, `.` and `-` only; a repeat gets a counter.
struct SPDXIdentifiers {
    private var used: Set<String> = []

    mutating func make(_ raw: String) -> String {
        let cleaned = String(raw.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-") ? $0 : "-" })
        var candidate = "SPDXRef-" + cleaned
        var counter = 2
        while used.contains(candidate) {
            candidate = "SPDXRef-\(cleaned)-\(counter)"
            counter += 1
        }
        used.insert(candidate)
        return candidate
    }
}
