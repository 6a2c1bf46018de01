// What manifests and the catalog need to know about one built image: identity, disk, firmware, agents.
import LabforgeRecipe
import Naming
import OCI

/// One lab image as the manifests and the catalog see it. Filled from CLI options and an OCI layout
/// today, and from a recipe by a small adapter later.
public struct ImageDescription: Sendable, Hashable, Codable {
    /// Image name, a DNS-1123 label (e.g. `debian-desktop`); objects are named after it.
    public var name: String
    /// Image version (e.g. `1.0`).
    public var version: String
    /// Human-readable name for the portal.
    public var displayName: String?
    /// One paragraph for the portal.
    public var summary: String?
    /// Guest operating system, e.g. `debian` `13`.
    public var operatingSystem: OperatingSystemLabel?
    /// GOARCH-style architecture (`amd64`, `arm64`) the VMs built from this description run as.
    public var architecture: String
    /// The platforms' architectures of the image index the image is pushed as, in index order (`["amd64", "arm64"]`);
    /// `[architecture]` for a single-architecture image. ``digest`` is then the index's digest.
    public var architectures: [String]
    /// Registry and repository, e.g. `registry.example.org/labs/debian-desktop` (no tag, no digest).
    public var repository: String
    /// The tag pushed, when known (DataImportCron follows it).
    public var tag: String?
    /// The manifest digest the image is pinned by (of a multi-architecture image: its index's).
    public var digest: Digest
    /// When ``digest`` names an image index: the manifest digest of ``architecture``'s image inside it; nil when unknown
    /// (a pinned reference) or when ``digest`` names the manifest itself.
    public var platformDigest: Digest?
    /// Virtual size of the disk in bytes (what the guest sees).
    public var diskVirtualSize: Int64
    /// Format of the disk inside the containerDisk (`qcow2`, `raw`).
    public var diskFormat: String?
    /// Compressed size of the image in the registry (layer + config + manifest), bytes.
    public var compressedSize: Int64?
    /// Default instancetype (cluster-wide), e.g. `u1.medium`.
    public var instancetype: String?
    /// Default preference (cluster-wide), e.g. `debian`; the manifests name it only as ``namedPreference`` allows.
    public var preference: String?
    /// The firmwares the image claims and what verification made of each; nil when unknown (a pinned reference
    /// without `--firmware`, a layout packed without the `dev.labforge.firmware` label).
    public var firmware: FirmwareBasis?
    /// The agents the image serves in the browser.
    public var agents: [ExposedAgent]
    /// The lab user cloud-init creates (and the agents run as).
    public var labUser: String
    /// The Secret holding the lab user's password and the agents' credentials (never inlined).
    public var credentialsSecret: String?
    /// Whether the image runs the QEMU guest agent (a recipe's `CloudInit(guestAgent: true)`, `--guest-agent`): the VMs'
    /// readiness probe pings it when no browser agent can be probed.
    public var guestAgent = false
    /// Whether the image powers itself off (a recipe's `LabLifetime`: idle stop or time limit): its VMs then use a run
    /// strategy under which that power-off leaves them stopped, as `--stop-on-poweroff` asks.
    public var stopsItself = false
    /// Whether the image mounts a per-student disk on `/home` (a recipe's `PersistentHome`), as the persistent-home
    /// variant needs; nil when unknown (a pinned reference: the registry's annotations are not read).
    public var mountsHomeDisk: Bool?

    /// Creates a description.
    /// - Parameters:
    ///   - name: Image name (DNS-1123 label).
    ///   - version: Image version.
    ///   - displayName: Portal name.
    ///   - summary: Portal description.
    ///   - operatingSystem: Guest OS.
    ///   - architecture: GOARCH-style architecture the VMs run as.
    ///   - architectures: The image index's architectures, or nil for `[architecture]` (a single-architecture image).
    ///   - repository: `registry/repository`.
    ///   - tag: The pushed tag.
    ///   - digest: The manifest digest (a multi-architecture image's index digest).
    ///   - platformDigest: ``architecture``'s manifest digest inside the index, when known.
    ///   - diskVirtualSize: Virtual disk size in bytes.
    ///   - diskFormat: `qcow2` or `raw`.
    ///   - compressedSize: Bytes in the registry.
    ///   - instancetype: Default instancetype.
    ///   - preference: Default preference.
    ///   - firmware: Claimed firmwares and their verification, or nil when unknown.
    ///   - agents: Browser agents.
    ///   - labUser: Lab user name.
    ///   - credentialsSecret: Secret with credentials.
    public init(
        name: String, version: String, displayName: String? = nil, summary: String? = nil,
        operatingSystem: OperatingSystemLabel? = nil, architecture: String = "amd64", architectures: [String]? = nil, repository: String, tag: String? = nil,
        digest: Digest, platformDigest: Digest? = nil, diskVirtualSize: Int64, diskFormat: String? = nil, compressedSize: Int64? = nil,
        instancetype: String? = nil, preference: String? = nil, firmware: FirmwareBasis? = nil, agents: [ExposedAgent] = [],
        labUser: String = "student", credentialsSecret: String? = nil
    ) {
        self.name = name
        self.version = version
        self.displayName = displayName
        self.summary = summary
        self.operatingSystem = operatingSystem
        self.architecture = architecture
        self.architectures = architectures ?? [architecture]
        self.repository = repository
        self.tag = tag
        self.digest = digest
        self.platformDigest = platformDigest
        self.diskVirtualSize = diskVirtualSize
        self.diskFormat = diskFormat
        self.compressedSize = compressedSize
        self.instancetype = instancetype
        self.preference = preference
        self.firmware = firmware
        self.agents = agents
        self.labUser = labUser
        self.credentialsSecret = credentialsSecret
    }

    /// `registry/repository@sha256:…`, what KubeVirt and CDI should pull.
    public var pinnedReference: String { "\(repository)@\(digest)" }

    /// `registry/repository:tag`, what a DataImportCron polls (the version when no tag was pushed).
    public var taggedReference: String { "\(repository):\(tag ?? version)" }

    /// Whether the image is an index over more than one architecture.
    public var isMultiArchitecture: Bool { architectures.count > 1 }

    /// The firmware basis the VMs may count on as ``architecture``: ``firmware`` without the claims that architecture
    /// cannot boot (an arm64 VM boots UEFI alone, `Architecture.bootableFirmware`); when ``firmware`` is unknown, the
    /// one firmware of an architecture that boots just one (arm64: UEFI, not verified), else nil.
    public var architectureFirmware: FirmwareBasis? {
        let bootable = Architecture(rawValue: architecture)?.bootableFirmware ?? Firmware.allCases
        guard let firmware else { return bootable.count == 1 ? FirmwareBasis(claimed: bootable) : nil }
        return firmware.restricted(to: bootable)
    }

    /// The preference the VMs name and the golden image's labels carry: ``preference`` unless the firmware basis lacks
    /// UEFI Secure Boot (see ``FirmwareBasis/admittedPreference(_:)``, on ``architectureFirmware``: never on arm64);
    /// ``preference`` as given when the firmware is unknown.
    public var namedPreference: String? {
        architectureFirmware.map { $0.admittedPreference(preference) } ?? preference
    }

    /// The firmware the VMs state in `spec.template.spec.domain` because no preference brings it
    /// (``FirmwareBasis/statedWithoutPreference`` of ``architectureFirmware``; arm64: UEFI without Secure Boot); nil when
    /// a preference is named or the firmware is unknown.
    public var statedFirmware: Firmware? {
        guard let basis = architectureFirmware, namedPreference == nil else { return nil }
        return basis.statedWithoutPreference
    }

    /// The architecture the VMs state in `spec.template.spec.architecture`: ``architecture`` unless it is amd64 of a
    /// single-architecture image (KubeVirt's usual default, left unsaid as before).
    public var statedArchitecture: String? {
        architecture == Architecture.amd64.rawValue && !isMultiArchitecture ? nil : architecture
    }

    /// `registry/repository@sha256:…` of ``architecture``'s own manifest: by ``platformDigest`` when known, else
    /// ``pinnedReference``.
    public var platformPinnedReference: String {
        platformDigest.map { "\(repository)@\($0)" } ?? pinnedReference
    }

    /// The platform CDI imports (`spec.source.registry.platform.architecture`) where an image index may be met: the
    /// VMs' architecture whenever they state it (``statedArchitecture``: a multi-architecture image, or one not amd64,
    /// whose tag may name an index of one platform), so the importer takes that platform whatever node it runs on;
    /// nil for a single-architecture amd64 image (written as before).
    public var importedArchitecture: String? { statedArchitecture }

    /// Whether `recipe` installs the QEMU guest agent (its `CloudInit` agent with `guestAgent`).
    /// - Parameter recipe: The recipe.
    /// - Returns: True when a VM of it answers `guest-ping`.
    public static func runsGuestAgent(_ recipe: Recipe) -> Bool {
        recipe.agents.contains { agent in
            if case .cloudInit(let cloudInit) = agent { return cloudInit.guestAgent }
            return false
        }
    }

    /// Whether `recipe` powers its VMs off itself (it has a `LabLifetime`).
    /// - Parameter recipe: The recipe.
    /// - Returns: True when a guest power-off is the lab's own decision, to be kept.
    public static func stopsItself(_ recipe: Recipe) -> Bool { recipe.lifetime != nil }

    /// Checks that the image can run as `variant`: the persistent-home variant needs an image that mounts the home disk
    /// (``mountsHomeDisk``); without it the student's files would silently stay on the system disk and vanish with every
    /// restart. An unknown image (nil) is let through.
    /// - Parameter variant: The VirtualMachine variant asked for.
    /// - Throws: ``KubeError/invalidSetting(name:value:reason:)`` naming the image.
    public func checkSupports(_ variant: VirtualMachineVariant) throws {
        guard variant == .persistentHome, mountsHomeDisk == false else { return }
        throw KubeError.invalidSetting(
            name: "--variant", value: variant.rawValue,
            reason: "image \(name) \(version) does not mount a home disk (its recipe has no PersistentHome component), so the students' "
                + "files would be lost at every restart; add PersistentHome() to the recipe and rebuild, or use --variant persistent")
    }

    /// The agent of a kind, when the image has one.
    /// - Parameter kind: Terminal or desktop.
    /// - Returns: The agent.
    public func agent(_ kind: AgentKind) -> ExposedAgent? { agents.first { $0.kind == kind } }

    /// Checks the name, version, tag and repository (they become `images/<name>/<version>/`, object names and YAML),
    /// the agents, the lab user and that the image has a firmware to boot under.
    /// - Throws: ``KubeError``, or ``OCIError`` for a repository that is not `registry/repository`.
    public func validate() throws {
        try KubernetesName.checkLabel(name, kind: "image")
        guard ImageVersion.isValid(version) else { throw KubeError.invalidVersion(what: "image version", value: version) }
        if let tag, !ImageVersion.isValid(tag) { throw KubeError.invalidVersion(what: "tag", value: tag) }
        let parsed = try ImageReference(parsing: repository)
        guard parsed.tag == nil, parsed.digest == nil, parsed.description == repository else {
            throw OCIError.invalidReference(repository, reason: "the image's repository must be registry/repository, without tag or digest")
        }
        var seen = Set<AgentKind>()
        for agent in agents {
            guard seen.insert(agent.kind).inserted else { throw KubeError.invalidAgent("two \(agent.kind.rawValue) agents declared") }
            try agent.validate()
        }
        let ports = agents.map(\.port)
        guard Set(ports).count == ports.count else { throw KubeError.invalidAgent("two agents share port \(ports)") }
        guard diskVirtualSize > 0 else { throw KubeError.missingVirtualSize(source: pinnedReference) }
        try validateArchitectures()
        if let firmware, firmware.firmware.isEmpty {
            throw KubeError.noBootableFirmware(image: pinnedReference, claims: firmware.summary)
        }
        if let firmware, let basis = architectureFirmware, basis.firmware.isEmpty {
            let bootable = Architecture(rawValue: architecture)?.bootableFirmware ?? []
            throw KubeError.noFirmwareForArchitecture(
                image: pinnedReference, architecture: architecture, claims: firmware.summary,
                bootable: bootable.map(\.displayName).joined(separator: ", "))
        }
        let userOK = !labUser.isEmpty && labUser.count <= 32
            && labUser.allSatisfy { ($0 >= "a" && $0 <= "z") || ($0 >= "0" && $0 <= "9") || $0 == "-" || $0 == "_" }
            && labUser.first.map { ($0 >= "a" && $0 <= "z") || $0 == "_" } == true
        guard userOK else {
            throw KubeError.invalidSetting(name: "lab user", value: labUser, reason: "a Linux user name is 1–32 of a-z 0-9 _ -, starting with a letter")
        }
        if let credentialsSecret { try KubernetesName.checkLabel(credentialsSecret, kind: "Secret") }
    }

    /// Checks ``architecture`` and ``architectures``: GOARCH-style names (they reach YAML, the page's filter and its
    /// attributes), each once, the VMs' architecture among the index's.
    /// - Throws: ``KubeError/invalidSetting(name:value:reason:)`` naming the option.
    func validateArchitectures() throws {
        let rule = "a GOARCH-style name of 1–16 lower-case letters and digits (amd64, arm64)"
        for name in [architecture] + architectures {
            let valid = (1...16).contains(name.count) && name.allSatisfy { ($0 >= "a" && $0 <= "z") || ($0 >= "0" && $0 <= "9") }
            guard valid else { throw KubeError.invalidSetting(name: "architecture", value: name, reason: rule) }
        }
        let list = architectures.joined(separator: ",")
        guard Set(architectures).count == architectures.count else {
            throw KubeError.invalidSetting(name: "--architectures", value: list, reason: "an architecture is listed twice")
        }
        guard architectures.contains(architecture) else {
            throw KubeError.invalidSetting(
                name: "--arch", value: architecture, reason: "the image index holds \(list) only; pass one of them, or the image's --architectures")
        }
    }
}
