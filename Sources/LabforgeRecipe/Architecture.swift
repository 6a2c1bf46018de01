// The CPU architectures a lab image is built for: what mmdebstrap, qemu, OCI platforms and KubeVirt call them.

/// A CPU architecture labforge builds images for. The raw value is the name Debian, OCI (GOARCH) and KubeVirt's
/// `spec.template.spec.architecture` share: `amd64`, `arm64`.
public enum Architecture: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    /// x86-64: BIOS, UEFI and UEFI with Secure Boot.
    case amd64
    /// AArch64: UEFI only (KubeVirt's arm64 nodes boot UEFI without Secure Boot).
    case arm64

    public var description: String { rawValue }

    /// The kernel's machine name (`uname -m`), also qemu's: `x86_64`, `aarch64`.
    public var machine: String {
        switch self {
        case .amd64: return "x86_64"
        case .arm64: return "aarch64"
        }
    }

    /// The binfmt_misc handler Debian's `qemu-user-static` registers to run this architecture's programs on another.
    public var binfmtHandler: String { "qemu-\(machine)" }

    /// The environment this architecture's programs get when they run under qemu-user on another (a foreign
    /// bootstrap's maintainer scripts, a foreign tree's customize steps); qemu-user reads it in every program binfmt_misc
    /// hands it, and the variable passes down through mmdebstrap, chroot and dpkg. arm64: `QEMU_CPU=max,pauth-impdef=on`
    /// — Debian 13's arm64 programs sign and check return addresses (pointer authentication) everywhere, and qemu
    /// emulates the architected QARMA algorithm slowly; its implementation-defined one is as good inside one emulated
    /// process and cheap (the cold arm64 base: 968 s → 459 s here, the same as verify's `-cpu max,pauth-impdef=on`).
    public var userEmulationEnvironment: [String: String] {
        switch self {
        case .amd64: return [:]
        case .arm64: return ["QEMU_CPU": "max,pauth-impdef=on"]
        }
    }

    /// The GPT type of this architecture's root partition in the UAPI Discoverable Partitions Specification: "Linux
    /// root (x86-64)" or "Linux root (ARM-64)" (uppercase). labforge's disks use it, so a disk says what it is for.
    public var discoverableRootType: String {
        switch self {
        case .amd64: return "4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709"
        case .arm64: return "B921B045-1DF0-41C3-AF44-4C6F280D3FAE"
        }
    }

    /// The architecture whose root partition type `type` is (``discoverableRootType``), nil for any other type.
    /// - Parameter type: A GPT partition type GUID, any case.
    public init?(discoverableRootType type: String) {
        guard let match = Self.allCases.first(where: { $0.discoverableRootType == type.uppercased() }) else { return nil }
        self = match
    }

    /// The firmwares a VM of this architecture can be started with: every one on amd64; UEFI alone on arm64.
    public var bootableFirmware: [Firmware] {
        switch self {
        case .amd64: return Firmware.allCases
        case .arm64: return [.uefi]
        }
    }

    /// The architecture of a kernel machine name (`uname -m`), nil for one labforge does not build.
    /// - Parameter machine: E.g. `x86_64`, `aarch64`.
    public init?(machine: String) {
        guard let match = Self.allCases.first(where: { $0.machine == machine }) else { return nil }
        self = match
    }

    /// Parses a comma-separated list (`amd64,arm64`), each once, in the order given.
    /// - Parameter text: The list.
    /// - Returns: The architectures, or nil when a name is unknown or the list is empty.
    public static func list(_ text: String) -> [Architecture]? {
        var result: [Architecture] = []
        for part in text.split(separator: ",") {
            guard let architecture = Architecture(rawValue: String(part.filter { $0 != " " })) else { return nil }
            if !result.contains(architecture) { result.append(architecture) }
        }
        return result.isEmpty ? nil : result
    }
}
