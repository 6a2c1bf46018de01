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
    /// GOARCH-style architecture (`amd64`, `arm64`).
    public var architecture: String
    /// Registry and repository, e.g. `registry.example.org/labs/debian-desktop` (no tag, no digest).
    public var repository: String
    /// The tag pushed, when known (DataImportCron follows it).
    public var tag: String?
    /// The manifest digest the image is pinned by.
    public var digest: Digest
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

    /// Creates a description.
    /// - Parameters:
    ///   - name: Image name (DNS-1123 label).
    ///   - version: Image version.
    ///   - displayName: Portal name.
    ///   - summary: Portal description.
    ///   - operatingSystem: Guest OS.
    ///   - architecture: GOARCH-style architecture.
    ///   - repository: `registry/repository`.
    ///   - tag: The pushed tag.
    ///   - digest: The manifest digest.
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
        operatingSystem: OperatingSystemLabel? = nil, architecture: String = "amd64", repository: String, tag: String? = nil,
        digest: Digest, diskVirtualSize: Int64, diskFormat: String? = nil, compressedSize: Int64? = nil,
        instancetype: String? = nil, preference: String? = nil, firmware: FirmwareBasis? = nil, agents: [ExposedAgent] = [],
        labUser: String = "student", credentialsSecret: String? = nil
    ) {
        self.name = name
        self.version = version
        self.displayName = displayName
        self.summary = summary
        self.operatingSystem = operatingSystem
        self.architecture = architecture
        self.repository = repository
        self.tag = tag
        self.digest = digest
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

    /// The preference the VMs name and the golden image's labels carry: ``preference`` unless the firmware basis lacks
    /// UEFI Secure Boot (see ``FirmwareBasis/admittedPreference(_:)``); ``preference`` as given when the firmware is unknown.
    public var namedPreference: String? {
        firmware.map { $0.admittedPreference(preference) } ?? preference
    }

    /// The firmware the VMs state in `spec.template.spec.domain` because no preference brings it
    /// (``FirmwareBasis/statedWithoutPreference``); nil when a preference is named or the firmware is unknown.
    public var statedFirmware: Firmware? {
        guard let firmware, namedPreference == nil else { return nil }
        return firmware.statedWithoutPreference
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
        if let firmware, firmware.firmware.isEmpty {
            throw KubeError.noBootableFirmware(image: pinnedReference, claims: firmware.summary)
        }
        let userOK = !labUser.isEmpty && labUser.count <= 32
            && labUser.allSatisfy { ($0 >= "a" && $0 <= "z") || ($0 >= "0" && $0 <= "9") || $0 == "-" || $0 == "_" }
            && labUser.first.map { ($0 >= "a" && $0 <= "z") || $0 == "_" } == true
        guard userOK else {
            throw KubeError.invalidSetting(name: "lab user", value: labUser, reason: "a Linux user name is 1–32 of a-z 0-9 _ -, starting with a letter")
        }
        if let credentialsSecret { try KubernetesName.checkLabel(credentialsSecret, kind: "Secret") }
    }
}
