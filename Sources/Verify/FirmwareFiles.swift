// The OVMF and AAVMF images a verification boot starts, as KubeVirt starts them (Debian's `ovmf` and `qemu-efi-aarch64`).
import Foundation
import LabforgeRecipe

/// The firmware code and the NVRAM template of one ``Firmware``: OVMF's Secure Boot build with Microsoft's keys
/// enrolled (what KubeVirt uses for `secureBoot: true`), plain OVMF, or nothing (qemu's SeaBIOS); on arm64 AAVMF,
/// as KubeVirt's arm64 VMs boot (UEFI without Secure Boot).
public struct FirmwareFiles: Sendable, Equatable {
    /// The read-only firmware code (pflash unit 0).
    public var code: String
    /// The NVRAM template copied fresh for every boot (pflash unit 1): no boot entries, as KubeVirt starts a VM
    /// without persistent EFI state.
    public var variablesTemplate: String

    /// Where Debian's `ovmf` package puts its images.
    public static let directory = "/usr/share/OVMF"
    /// Where Debian's `qemu-efi-aarch64` package puts AAVMF, the arm64 UEFI.
    public static let arm64Directory = "/usr/share/AAVMF"

    /// The files `firmware` boots with; nil for BIOS (qemu's built-in SeaBIOS).
    /// - Parameters:
    ///   - firmware: The firmware.
    ///   - architecture: The VM's architecture (amd64: OVMF; arm64: AAVMF, UEFI alone).
    ///   - directory: Where the images are (the architecture's Debian directory when nil).
    /// - Returns: The files, or nil for BIOS.
    /// - Throws: ``VerifyError/toolMissing(tool:package:)`` naming the missing image and its package (`ovmf`,
    ///   `qemu-efi-aarch64`), ``VerifyError/firmwareUnavailable(firmware:architecture:)`` for a firmware the
    ///   architecture does not boot.
    public static func of(_ firmware: Firmware, architecture: Architecture = .amd64, in directory: String? = nil) throws -> FirmwareFiles? {
        guard architecture.bootableFirmware.contains(firmware) else { throw VerifyError.firmwareUnavailable(firmware: firmware, architecture: architecture) }
        let files: FirmwareFiles
        let package: String
        switch (architecture, firmware) {
        case (.amd64, .bios), (.arm64, .bios): return nil
        case (.amd64, .uefiSecureBoot), (.arm64, .uefiSecureBoot):
            let directory = directory ?? Self.directory
            files = FirmwareFiles(code: directory + "/OVMF_CODE_4M.secboot.fd", variablesTemplate: directory + "/OVMF_VARS_4M.ms.fd")
            package = "ovmf"
        case (.amd64, .uefi):
            let directory = directory ?? Self.directory
            files = FirmwareFiles(code: directory + "/OVMF_CODE_4M.fd", variablesTemplate: directory + "/OVMF_VARS_4M.fd")
            package = "ovmf"
        case (.arm64, .uefi):
            let directory = directory ?? Self.arm64Directory
            files = FirmwareFiles(code: directory + "/AAVMF_CODE.fd", variablesTemplate: directory + "/AAVMF_VARS.fd")
            package = "qemu-efi-aarch64"
        }
        for path in [files.code, files.variablesTemplate] where !FileManager.default.isReadableFile(atPath: path) {
            throw VerifyError.toolMissing(tool: path, package: package)
        }
        return files
    }
}
