// The OVMF images a verification boot starts, as KubeVirt starts them (Debian's `ovmf` package).
import Foundation
import LabforgeRecipe

/// The firmware code and the NVRAM template of one ``Firmware``: OVMF's Secure Boot build with Microsoft's keys
/// enrolled (what KubeVirt uses for `secureBoot: true`), plain OVMF, or nothing (qemu's SeaBIOS).
public struct FirmwareFiles: Sendable, Equatable {
    /// The read-only firmware code (pflash unit 0).
    public var code: String
    /// The NVRAM template copied fresh for every boot (pflash unit 1): no boot entries, as KubeVirt starts a VM
    /// without persistent EFI state.
    public var variablesTemplate: String

    /// Where Debian's `ovmf` package puts its images.
    public static let directory = "/usr/share/OVMF"

    /// The files `firmware` boots with; nil for BIOS (qemu's built-in SeaBIOS).
    /// - Parameters:
    ///   - firmware: The firmware.
    ///   - directory: Where the OVMF images are.
    /// - Returns: The files, or nil for BIOS.
    /// - Throws: ``VerifyError/toolMissing(tool:package:)`` naming the missing image and the `ovmf` package.
    public static func of(_ firmware: Firmware, in directory: String = FirmwareFiles.directory) throws -> FirmwareFiles? {
        let files: FirmwareFiles
        switch firmware {
        case .bios: return nil
        case .uefiSecureBoot: files = FirmwareFiles(code: directory + "/OVMF_CODE_4M.secboot.fd", variablesTemplate: directory + "/OVMF_VARS_4M.ms.fd")
        case .uefi: files = FirmwareFiles(code: directory + "/OVMF_CODE_4M.fd", variablesTemplate: directory + "/OVMF_VARS_4M.fd")
        }
        for path in [files.code, files.variablesTemplate] where !FileManager.default.isReadableFile(atPath: path) {
            throw VerifyError.toolMissing(tool: path, package: "ovmf")
        }
        return files
    }
}
