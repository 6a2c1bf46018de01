// The firmware an image's manifests may count on: what verification proved, or what the recipe claims when nothing was verified.
import LabforgeRecipe

/// Every firmware an image claims, each with what a verification boot made of it; from these, the firmwares the
/// manifests may ask KubeVirt for (``firmware``) and the preference they may name (``admittedPreference(_:)``).
///
/// Encoded as the list of claims: `[{"firmware": "uefi-secure-boot", "status": "verified"}, …]`.
public struct FirmwareBasis: Sendable, Hashable, Codable {
    /// What became of one firmware.
    public enum Status: String, Sendable, Hashable, Codable, CaseIterable {
        /// A verification boot under it passed.
        case verified
        /// A verification boot under it failed.
        case failed
        /// Claimed, never booted: built with `--no-verify`, or no verification report at hand.
        case notVerified = "not-verified"
    }

    /// One firmware and its status.
    public struct Claim: Sendable, Hashable, Codable {
        /// The firmware.
        public var firmware: Firmware
        /// What verification made of it.
        public var status: Status

        /// Creates a claim.
        /// - Parameters:
        ///   - firmware: The firmware.
        ///   - status: Its status.
        public init(firmware: Firmware, status: Status) {
            self.firmware = firmware
            self.status = status
        }
    }

    /// The claims, in the order the image claims them.
    public var claims: [Claim]

    /// Creates a basis from its claims.
    /// - Parameter claims: The claims, each firmware once.
    public init(claims: [Claim]) {
        self.claims = claims
    }

    /// Creates the basis of an image that claims `claimed` and was booted under `verified` (passed) and `failed`.
    /// A firmware booted but not claimed is left out: the manifests count only on what the image claims.
    /// - Parameters:
    ///   - claimed: The firmwares the image claims (a recipe's ``Recipe/firmware``, a layout's firmware label).
    ///   - verified: Firmwares a verification boot passed under; empty when nothing was verified.
    ///   - failed: Firmwares a verification boot failed under.
    public init(claimed: [Firmware], verified: [Firmware] = [], failed: [Firmware] = []) {
        var seen = Set<Firmware>()
        claims = claimed.filter { seen.insert($0).inserted }.map { firmware in
            Claim(firmware: firmware, status: verified.contains(firmware) ? .verified : failed.contains(firmware) ? .failed : .notVerified)
        }
    }

    /// The claims of the firmwares in `bootable` alone, in claim order: what a VM of an architecture that boots only
    /// those may count on (an arm64 VM boots UEFI alone, see `Architecture.bootableFirmware`).
    /// - Parameter bootable: The firmwares the VM can be started with.
    /// - Returns: The basis without the other claims.
    public func restricted(to bootable: [Firmware]) -> FirmwareBasis {
        FirmwareBasis(claims: claims.filter { bootable.contains($0.firmware) })
    }

    /// The claimed firmwares, in claim order.
    public var claimed: [Firmware] { claims.map(\.firmware) }

    /// Whether a verification booted the image under any of its firmwares.
    public var isVerified: Bool { claims.contains { $0.status != .notVerified } }

    /// The firmwares the manifests may count on: those verification proved when it booted any, else every claimed one.
    public var firmware: [Firmware] {
        isVerified ? claims.filter { $0.status == .verified }.map(\.firmware) : claimed
    }

    /// The status of one firmware (``Status/notVerified`` when not claimed).
    /// - Parameter firmware: The firmware.
    /// - Returns: Its status.
    public func status(of firmware: Firmware) -> Status {
        claims.first { $0.firmware == firmware }?.status ?? .notVerified
    }

    /// The preference an image's VMs may name and CDI may label its PVCs with: `preference` when the basis holds
    /// UEFI Secure Boot (what common-instancetypes' `debian` preference starts: OVMF with Secure Boot and SMM), else none.
    /// - Parameter preference: The preference the recipe or the image names.
    /// - Returns: `preference`, or nil.
    public func admittedPreference(_ preference: String?) -> String? {
        firmware.contains(.uefiSecureBoot) ? preference : nil
    }

    /// The firmware a VM states in its spec when it names no preference: UEFI without Secure Boot when the basis holds
    /// it, else BIOS (KubeVirt's default, written out), else UEFI with Secure Boot.
    public var statedWithoutPreference: Firmware? {
        [Firmware.uefi, .bios, .uefiSecureBoot].first { firmware.contains($0) }
    }

    /// `UEFI Secure Boot ✓, BIOS not verified`: one line for people.
    public var summary: String {
        claims.map { claim in
            switch claim.status {
            case .verified: return "\(claim.firmware.displayName) ✓"
            case .failed: return "\(claim.firmware.displayName) FAILED"
            case .notVerified: return "\(claim.firmware.displayName) not verified"
            }
        }.joined(separator: ", ")
    }

    /// Decodes the list of claims.
    /// - Parameter decoder: The decoder.
    /// - Throws: `DecodingError` for anything but a list of claims.
    public init(from decoder: any Decoder) throws {
        claims = try decoder.singleValueContainer().decode([Claim].self)
    }

    /// Encodes the list of claims.
    /// - Parameter encoder: The encoder.
    /// - Throws: `EncodingError` (none expected).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(claims)
    }
}
