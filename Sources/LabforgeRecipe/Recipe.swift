// A lab image described once: identity, metadata, base image, and an ordered body of steps and agents.

/// A lab VM image recipe. Pure value: building it touches nothing; ``validate()`` checks it.
public struct Recipe: Sendable, Hashable, Codable {
    /// DNS-1123 label (`debian-desktop`): image, file and Kubernetes object names derive from it.
    public var name: String
    /// The recipe's own version (`1.0.0`), part of the image tag.
    public var version: String
    /// Human name for the catalog.
    public var displayName: String
    /// One paragraph for the catalog.
    public var description: String
    /// Catalog tags.
    public var tags: [String]
    /// Default KubeVirt instancetype (`u1.small`).
    public var instancetype: String?
    /// Default KubeVirt preference (`debian`).
    public var preference: String?
    /// Minimum virtual CPUs.
    public var minimumCPUs: Int
    /// Minimum memory in MiB.
    public var minimumMemoryMiB: Int
    /// Virtual disk size in GiB the image is meant for (`nil`: the base's size).
    public var diskSizeGiB: Int?
    /// The disk it starts from.
    public var base: BaseImage
    /// Steps and agents in the order written.
    public var body: [RecipeItem]
    /// Generalization at the end; `nil` to skip it.
    public var sysprep: Sysprep?
    /// Whether a push also moves the `latest` tag to this version (for the image a lab links by default).
    public var latest: Bool
    /// What `labforge build` makes of it without `--target`: a VM image (the default), a pod lab's container image, or both.
    public var targets: [BuildTarget]
    /// The firmwares the VM image claims to boot under, each verified by a boot (``Firmware/standard`` by default:
    /// UEFI with Secure Boot, what the `debian` preference asks for, and BIOS).
    public var firmware: [Firmware]
    /// The architectures it is built for, each its own image under one OCI index (``Architecture/amd64`` by default).
    /// An arm64 image boots UEFI alone (``Architecture/bootableFirmware``), whatever ``firmware`` claims for amd64.
    public var architectures: [Architecture]

    /// Creates a recipe.
    /// - Parameters:
    ///   - name: DNS-1123 label.
    ///   - version: Recipe version.
    ///   - displayName: Human name (the name when empty).
    ///   - description: Catalog paragraph.
    ///   - tags: Catalog tags.
    ///   - instancetype: Default instancetype.
    ///   - preference: Default preference.
    ///   - minimumCPUs: Minimum vCPUs.
    ///   - minimumMemoryMiB: Minimum memory.
    ///   - diskSizeGiB: Intended disk size.
    ///   - base: The base image; Debian 13 bootstrapped from the Debian mirror by default.
    ///   - sysprep: Generalization at the end (all operations by default, `nil` for none).
    ///   - latest: Whether pushes also tag it `latest`.
    ///   - targets: What it is built as by default (`[.vm]`; `[.vm, .container]` for both kinds).
    ///   - firmware: The firmwares the VM image must boot under (``Firmware/standard``: UEFI Secure Boot and BIOS).
    ///   - architectures: The architectures it is built for (`[.amd64]`; `[.amd64, .arm64]` for both under one index).
    ///   - body: Steps and agents.
    public init(
        name: String, version: String = "1.0.0", displayName: String = "", description: String = "", tags: [String] = [],
        instancetype: String? = "u1.small", preference: String? = "debian", minimumCPUs: Int = 1, minimumMemoryMiB: Int = 1024,
        diskSizeGiB: Int? = nil, base: BaseImage = .defaultDebian, sysprep: Sysprep? = .standard,
        latest: Bool = false, targets: [BuildTarget] = [.vm], firmware: [Firmware] = Firmware.standard,
        architectures: [Architecture] = [.amd64], @RecipeBuilder body: () -> [RecipeItem]
    ) {
        self.name = name
        self.version = version
        self.displayName = displayName.isEmpty ? name : displayName
        self.description = description
        self.tags = tags
        self.instancetype = instancetype
        self.preference = preference
        self.minimumCPUs = minimumCPUs
        self.minimumMemoryMiB = minimumMemoryMiB
        self.diskSizeGiB = diskSizeGiB
        self.base = base
        self.sysprep = sysprep
        self.latest = latest
        self.targets = targets.isEmpty ? [.vm] : targets
        self.firmware = firmware
        self.architectures = architectures.isEmpty ? [.amd64] : architectures
        self.body = body()
    }

    /// The recipe as built for one architecture: ``architectures`` just that one, a Debian bootstrap base of that
    /// architecture, and the firmware claims it can meet (arm64: UEFI alone). amd64 gives the recipe unchanged.
    /// - Parameter architecture: The architecture.
    /// - Returns: The recipe for it.
    /// - Throws: ``RecipeError/architectureNeedsBootstrap(recipe:architecture:)`` for a foreign architecture on a base
    ///   that is not a Debian bootstrap (upstream and local disks are one architecture's).
    public func building(for architecture: Architecture) throws -> Recipe {
        var recipe = self
        recipe.architectures = [architecture]
        guard architecture != .amd64 else { return recipe }
        guard case .debianBootstrap(var spec) = base else {
            throw RecipeError.architectureNeedsBootstrap(recipe: name, architecture: architecture.rawValue)
        }
        spec.architecture = architecture
        recipe.base = .debianBootstrap(spec)
        recipe.firmware = architecture.bootableFirmware
        return recipe
    }

    /// The agents, in body order.
    public var agents: [Agent] {
        body.compactMap { if case .agent(let agent) = $0 { return agent } else { return nil } }
    }

    /// The lab's tasks, when the body has them.
    public var tasks: LabTasks? {
        body.lazy.compactMap { if case .tasks(let tasks) = $0 { return tasks } else { return nil } }.first
    }

    /// When the lab powers itself off, when the body says.
    public var lifetime: LabLifetime? {
        body.lazy.compactMap { if case .lifetime(let lifetime) = $0 { return lifetime } else { return nil } }.first
    }

    /// Every port the agents declare (manifests make Services of them, verify probes them).
    public var ports: [AgentPort] { agents.flatMap(\.ports) }

    /// Every probe the agents declare.
    public var probes: [Probe] { agents.flatMap(\.probes) }
}
