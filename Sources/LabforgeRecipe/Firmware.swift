// The firmware a VM image boots under: what a recipe claims, what verify boots, what the manifests ask KubeVirt for.

/// A firmware a lab VM can be started with. KubeVirt picks it from the VM spec or its preference: common-instancetypes'
/// `debian` preference asks for UEFI with Secure Boot (OVMF, Microsoft keys, SMM, fresh NVRAM); a VM without a
/// preference or firmware gets SeaBIOS; arm64 nodes only have UEFI.
public enum Firmware: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    /// UEFI with Secure Boot on and Microsoft's keys enrolled: shim → Debian's signed GRUB → Debian's signed kernel.
    case uefiSecureBoot = "uefi-secure-boot"
    /// UEFI with Secure Boot off.
    case uefi
    /// Legacy BIOS (SeaBIOS): GRUB's i386-pc core in the disk's BIOS boot partition.
    case bios

    /// What every labforge disk boots under by default: what the `debian` preference asks for, and BIOS.
    public static let standard: [Firmware] = [.uefiSecureBoot, .bios]

    public var description: String { rawValue }

    /// The name people read (`UEFI Secure Boot`, `UEFI`, `BIOS`).
    public var displayName: String {
        switch self {
        case .uefiSecureBoot: return "UEFI Secure Boot"
        case .uefi: return "UEFI"
        case .bios: return "BIOS"
        }
    }

    /// Parses a comma-separated list (`uefi-secure-boot,bios`), each once, in the order given.
    /// - Parameter text: The list.
    /// - Returns: The firmwares, or nil when a name is unknown or the list is empty.
    public static func list(_ text: String) -> [Firmware]? {
        var seen = Set<Firmware>()
        var result: [Firmware] = []
        for part in text.split(separator: ",") {
            guard let firmware = Firmware(rawValue: String(part.filter { $0 != " " })) else { return nil }
            if seen.insert(firmware).inserted { result.append(firmware) }
        }
        return result.isEmpty ? nil : result
    }

    /// The firmware verify boots with every probe: the first of Secure Boot, UEFI, BIOS that `firmwares` holds
    /// (the one KubeVirt's `debian` preference starts); the others get a shorter boot beside it.
    /// - Parameter firmwares: The claimed firmwares.
    /// - Returns: The primary one, or nil for an empty list.
    public static func primary(of firmwares: [Firmware]) -> Firmware? {
        allCases.first { firmwares.contains($0) }
    }
}
