// One image in the portal catalog: identity, features, registry references, sizes, firmware, provenance, verification.
import Kube
import LabforgeRecipe
import OCI

/// What an entry's image is run as.
public enum ImageKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// A KubeVirt VM from a containerDisk.
    case vm
    /// A pod lab from a container image.
    case container
}

/// One image as the lab portal sees it (`images[]` in `catalog.json`, see `schemas/catalog.schema.json`).
public struct CatalogEntry: Sendable, Hashable, Codable {
    /// Image name (DNS-1123 label).
    public var name: String
    /// Version.
    public var version: String
    /// Portal name.
    public var displayName: String
    /// Portal description.
    public var description: String?
    /// Guest OS.
    public var os: OperatingSystemLabel?
    /// Architecture (of a multi-architecture image: the one its DataVolume YAML imports, amd64 when it has it).
    public var architecture: String
    /// The image index's architectures, in index order, when the image is multi-architecture (`["amd64", "arm64"]`);
    /// nil (absent from the JSON) for a single-architecture image, which runs on ``architecture`` alone.
    public var architectures: [String]? = nil
    /// What the image offers in the browser.
    public var features: [Feature]
    /// Where to pull it.
    public var registry: Registry
    /// Sizes in bytes.
    public var sizes: Sizes
    /// Default instancetype.
    public var instancetype: String?
    /// Default preference: the one the image's VMs name (none when its firmware basis lacks UEFI Secure Boot).
    public var preference: String?
    /// The firmwares the VM image claims, each with whether a verification boot proved it; nil for a container image
    /// (and for entries written before firmware was recorded).
    public var firmware: [FirmwareRecord]? = nil
    /// How it was built.
    public var build: Build
    /// Whether it booted and its agents answered.
    public var verification: Verification
    /// What is inside: the SBOM read from the finished disk (nil for images built without one).
    public var sbom: SBOM?
    /// The cosign signature of the pushed manifest (nil: unsigned).
    public var signature: Signature?
    /// Package changes since the previous version of this image in the catalog (nil: no earlier version with an SBOM).
    public var changes: PackageChanges? = nil
    /// What the students will see, as the verification took it (nil: not verified, or no picture).
    public var pictures: Pictures? = nil
    /// The lab's tasks and lifetime (nil: the recipe has neither).
    public var lab: Lab? = nil

    /// Pictures beside the disk, relative to the catalog (`<name>/<version>/desktop.png`).
    public struct Pictures: Sendable, Hashable, Codable {
        /// A PNG of the desktop.
        public var desktop: String?
        /// The terminal's first screen as text.
        public var terminal: String?

        /// Creates a record.
        public init(desktop: String? = nil, terminal: String? = nil) {
            self.desktop = desktop
            self.terminal = terminal
        }
    }
    /// `vm` (a KubeVirt containerDisk) or `container` (a pod lab's image); entries written before pod labs have none (a VM).
    public var kind: ImageKind?

    /// Who signed the pushed manifest.
    public struct Signature: Sendable, Hashable, Codable {
        /// `sha256:…` of the signing public key (SubjectPublicKeyInfo DER).
        public var keyFingerprint: String
        /// `registry/repository:sha256-<hex>.sig`.
        public var reference: String
        /// `registry/repository:sha256-<hex>.att`: the signed SBOM and provenance attestations.
        public var attestations: String?
        /// Their predicate types.
        public var predicateTypes: [String]?

        /// Creates a signature record.
        /// - Parameters:
        ///   - keyFingerprint: The key's fingerprint.
        ///   - reference: Where the signature is.
        ///   - attestations: Where the attestations are.
        ///   - predicateTypes: What they attest.
        public init(keyFingerprint: String, reference: String, attestations: String? = nil, predicateTypes: [String]? = nil) {
            self.keyFingerprint = keyFingerprint
            self.reference = reference
            self.attestations = attestations
            self.predicateTypes = predicateTypes
        }
    }

    /// One firmware the VM image claims.
    public struct FirmwareRecord: Sendable, Hashable, Codable {
        /// The firmware.
        public var firmware: Firmware
        /// Whether a verification boot under it passed (false: it failed, or the image was not verified).
        public var verified: Bool
        /// Of a multi-architecture image: the other platform whose image claims it; nil (absent) for the entry's
        /// ``CatalogEntry/architecture``.
        public var architecture: String? = nil

        /// Creates a record.
        /// - Parameters:
        ///   - firmware: The firmware.
        ///   - verified: Whether a verification boot proved it.
        ///   - architecture: The other platform whose image claims it, or nil for the entry's architecture.
        public init(firmware: Firmware, verified: Bool, architecture: String? = nil) {
            self.firmware = firmware
            self.verified = verified
            self.architecture = architecture
        }
    }

    /// A browser feature (one agent).
    public struct Feature: Sendable, Hashable, Codable {
        /// `terminal` or `desktop`.
        public var kind: AgentKind
        /// Guest port.
        public var port: Int
        /// Base path the agent was built with.
        public var basePath: String
        /// WebSocket path relative to the base path.
        public var websocketPath: String
        /// Page to open relative to the base path.
        public var entryPage: String
        /// How the agent authenticates (`boot-credential`, `boot-password`, `none`, …); nil when not known.
        public var auth: String?
    }

    /// Registry references.
    public struct Registry: Sendable, Hashable, Codable {
        /// `registry/repository`.
        public var repository: String
        /// Tag, when pushed with one.
        public var tag: String?
        /// Manifest digest.
        public var digest: Digest
        /// `registry/repository@sha256:…`.
        public var pinned: String
        /// `registry/repository:tag`, when tagged.
        public var tagged: String?
    }

    /// Sizes in bytes.
    public struct Sizes: Sendable, Hashable, Codable {
        /// Bytes a pull transfers (manifest, config, compressed layer).
        public var compressed: Int64?
        /// The disk's virtual size.
        public var virtual: Int64
    }

    /// Build provenance.
    public struct Build: Sendable, Hashable, Codable {
        /// RFC 3339 build time.
        public var time: String?
        /// Recipe fingerprint (the cache key's recipe part).
        public var recipeFingerprint: String?
        /// Base image identity, e.g. `debian-13-genericcloud-amd64@sha256:…`.
        public var baseImage: String?
        /// labforge version that built it.
        public var labforgeVersion: String?
        /// For a bootstrapped base: when the Debian archives it was installed from were last published (RFC 3339).
        public var archiveDate: String?
        /// The recipe file it was built from (and its repository and commit when in git).
        public var recipeSource: RecipeSource?

        /// Creates build provenance.
        public init(
            time: String? = nil, recipeFingerprint: String? = nil, baseImage: String? = nil, labforgeVersion: String? = nil,
            archiveDate: String? = nil, recipeSource: RecipeSource? = nil
        ) {
            self.time = time
            self.recipeFingerprint = recipeFingerprint
            self.baseImage = baseImage
            self.labforgeVersion = labforgeVersion
            self.archiveDate = archiveDate
            self.recipeSource = recipeSource
        }
    }

    /// Where a recipe came from: a file in a repository at a commit.
    public struct RecipeSource: Sendable, Hashable, Codable {
        /// The recipe file, relative to the repository root (or to its recipes folder outside git).
        public var path: String
        /// 1-based line of the recipe's declaration.
        public var line: Int?
        /// The repository's remote URL, when in git with a remote.
        public var repository: String?
        /// The commit checked out when it was built.
        public var commit: String?
        /// True when the file had uncommitted changes (the commit alone does not reproduce it).
        public var modified: Bool?

        /// Creates a source record.
        /// - Parameters:
        ///   - path: File path relative to the repository.
        ///   - line: Declaration line.
        ///   - repository: Remote URL.
        ///   - commit: Commit id.
        ///   - modified: Uncommitted changes.
        public init(path: String, line: Int? = nil, repository: String? = nil, commit: String? = nil, modified: Bool? = nil) {
            self.path = path
            self.line = line
            self.repository = repository
            self.commit = commit
            self.modified = modified
        }
    }

    /// Verification result.
    public struct Verification: Sendable, Hashable, Codable {
        /// `passed`, `failed` or `not-run`.
        public var status: Status
        /// RFC 3339 time of the check.
        public var time: String?
        /// One line on what was checked or what failed.
        public var summary: String?

        /// Verification outcomes.
        public enum Status: String, Sendable, Hashable, Codable, CaseIterable {
            /// Booted and every probe answered.
            case passed
            /// A probe failed.
            case failed
            /// Not verified.
            case notRun = "not-run"
        }

        /// Creates a result.
        public init(status: Status = .notRun, time: String? = nil, summary: String? = nil) {
            self.status = status
            self.time = time
            self.summary = summary
        }
    }

    /// The software bill of materials of the image.
    public struct SBOM: Sendable, Hashable, Codable {
        /// Installed packages the guest's package database lists.
        public var packages: Int
        /// Digest of the SBOM file's bytes.
        public var digest: Digest
        /// Its media type, e.g. `application/spdx+json`.
        public var mediaType: String
        /// The file beside the disk in the build output, relative to the catalog (`<name>/<version>/sbom.spdx.json`).
        public var path: String?
        /// `registry/repository@sha256:…` of the referrer manifest attached to the pushed image.
        public var referrer: String?

        /// Creates an SBOM record.
        /// - Parameters:
        ///   - packages: Installed package count.
        ///   - digest: Digest of the file.
        ///   - mediaType: Its media type.
        ///   - path: Relative path of the file.
        ///   - referrer: The referrer manifest in the registry.
        public init(packages: Int, digest: Digest, mediaType: String = "application/spdx+json", path: String? = nil, referrer: String? = nil) {
            self.packages = packages
            self.digest = digest
            self.mediaType = mediaType
            self.path = path
            self.referrer = referrer
        }
    }

    /// Makes an entry from an image description.
    /// - Parameters:
    ///   - image: The image.
    ///   - build: Provenance.
    ///   - verification: Verification result.
    ///   - sbom: The SBOM record, when the build wrote one.
    ///   - signature: The signature record, when the build signed the image.
    ///   - platformFirmware: Of a multi-architecture image, the firmware basis of each other platform's image, keyed by
    ///     architecture (e.g. `["arm64": …]` for an entry described as amd64); added to ``firmware`` with their architecture.
    public init(
        image: ImageDescription, build: Build = Build(), verification: Verification = Verification(), sbom: SBOM? = nil, signature: Signature? = nil,
        platformFirmware: [String: FirmwareBasis] = [:]
    ) {
        name = image.name
        version = image.version
        displayName = image.displayName ?? image.name
        description = image.summary
        os = image.operatingSystem
        architecture = image.architecture
        architectures = image.isMultiArchitecture ? image.architectures : nil
        features = image.agents.map {
            Feature(kind: $0.kind, port: $0.port, basePath: $0.basePath, websocketPath: $0.websocketPath, entryPage: $0.entryPage, auth: $0.auth)
        }
        registry = Registry(
            repository: image.repository, tag: image.tag, digest: image.digest, pinned: image.pinnedReference,
            tagged: image.tag.map { "\(image.repository):\($0)" }
        )
        sizes = Sizes(compressed: image.compressedSize, virtual: image.diskVirtualSize)
        instancetype = image.instancetype
        preference = image.namedPreference
        firmware = image.firmware?.claims.map { FirmwareRecord(firmware: $0.firmware, verified: $0.status == .verified) }
        for other in image.architectures where other != image.architecture {
            guard let basis = platformFirmware[other] else { continue }
            let records = basis.claims.map { FirmwareRecord(firmware: $0.firmware, verified: $0.status == .verified, architecture: other) }
            firmware = (firmware ?? []) + records
        }
        self.build = build
        self.verification = verification
        self.sbom = sbom
        self.signature = signature
        self.kind = .vm
    }

    /// Every architecture the image runs on: ``architectures``, else ``architecture`` alone (entries written before
    /// multi-architecture images have only that).
    public var platforms: [String] { architectures ?? [architecture] }

    /// The image description the entry was made from (lab user and credentials take their defaults; a firmware that
    /// was not verified counts as claimed, so the basis is the same).
    public var imageDescription: ImageDescription {
        var description = ImageDescription(
            name: name, version: version, displayName: displayName, summary: description, operatingSystem: os,
            architecture: architecture, architectures: architectures, repository: registry.repository, tag: registry.tag, digest: registry.digest,
            diskVirtualSize: sizes.virtual, compressedSize: sizes.compressed, instancetype: instancetype, preference: preference,
            firmware: firmware.map { all in
                let records = all.filter { $0.architecture == nil }
                return FirmwareBasis(claimed: records.map(\.firmware), verified: records.filter(\.verified).map(\.firmware))
            },
            agents: features.map {
                ExposedAgent(kind: $0.kind, port: $0.port, basePath: $0.basePath, websocketPath: $0.websocketPath, entryPage: $0.entryPage, auth: $0.auth)
            }
        )
        description.stopsItself = lab?.stopsItself ?? false
        return description
    }

    /// The DataVolume YAML the portal's copy button gives (default settings, pinned by digest).
    /// - Returns: YAML text.
    /// - Throws: ``KubeError`` when the entry's name is not a valid object name.
    public func dataVolumeYAML() throws -> String {
        try ManifestSet(image: imageDescription).dataVolumeYAML()
    }
}
