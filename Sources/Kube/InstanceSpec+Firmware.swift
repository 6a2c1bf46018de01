// `domain.firmware` and `domain.features` of a VMI spec: what a VM states about its firmware when no preference does.
import LabforgeRecipe

extension InstanceSpec {
    /// `domain.features`.
    public struct Features: Sendable, Hashable, Codable {
        /// System Management Mode, which OVMF's Secure Boot needs.
        public var smm: FeatureState

        /// The features a VM booting `firmware` must state: SMM for Secure Boot (a preference asking for Secure Boot
        /// turns it on itself), nothing otherwise.
        /// - Parameter firmware: The firmware the VM states.
        init?(booting firmware: Firmware) {
            guard firmware == .uefiSecureBoot else { return nil }
            smm = FeatureState(enabled: true)
        }
    }

    /// `domain.features.smm`.
    public struct FeatureState: Sendable, Hashable, Codable {
        /// On or off.
        public var enabled: Bool
    }

    /// `domain.firmware`.
    public struct DomainFirmware: Sendable, Hashable, Codable {
        /// BIOS or EFI.
        public var bootloader: Bootloader

        /// The bootloader KubeVirt starts for `firmware`: SeaBIOS, or OVMF with Secure Boot off or on.
        /// - Parameter firmware: The firmware the VM states.
        init(booting firmware: Firmware) {
            switch firmware {
            case .bios: bootloader = Bootloader(bios: EmptyObject(), efi: nil)
            case .uefi: bootloader = Bootloader(bios: nil, efi: EFI(secureBoot: false))
            case .uefiSecureBoot: bootloader = Bootloader(bios: nil, efi: EFI(secureBoot: true))
            }
        }
    }

    /// `domain.firmware.bootloader`: exactly one of the two is set.
    public struct Bootloader: Sendable, Hashable, Codable {
        /// SeaBIOS.
        public var bios: EmptyObject?
        /// OVMF.
        public var efi: EFI?
    }

    /// `domain.firmware.bootloader.efi`.
    public struct EFI: Sendable, Hashable, Codable {
        /// Whether Secure Boot is on (KubeVirt's default is on, so it is always written).
        public var secureBoot: Bool
    }
}
