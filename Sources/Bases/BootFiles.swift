// The boot chain's files in a Debian root tree: shim, signed GRUB and MokManager for UEFI, GRUB's i386-pc images for BIOS.
import Foundation
import LabforgeRecipe

/// The files the disk's boot chain is copied from, all inside the root tree: Debian 13's own `shim-signed`,
/// `grub-efi-amd64-signed` and `grub-pc-bin`, and the core image the bootstrap's boot hook made with the tree's
/// `grub-mkimage` (``DebianBootstrapFiles/bootLoaderScript(rootUUID:)``).
///
/// On arm64 the chain is Debian's `grub-efi-arm64-signed` alone (UEFI without Secure Boot; no BIOS).
struct BootFiles: Sendable, Equatable {
    /// The root tree.
    var rootTree: String
    /// Its architecture: which boot chain it holds.
    var architecture: Architecture = .amd64

    /// Debian's GRUB for arm64 UEFI, signed by Debian: the first (and only) loader AAVMF runs.
    var signedGrubArm64: String { rootTree + "/usr/lib/grub/arm64-efi-signed/grubaa64.efi.signed" }

    /// What the EFI system partition holds: (file in the tree, path on the ESP), the loader firmware with fresh NVRAM
    /// runs first. amd64: shim as `/EFI/BOOT/BOOTX64.EFI`, GRUB and MokManager beside it; arm64: GRUB as
    /// `/EFI/BOOT/BOOTAA64.EFI`. The GRUB stub (``efiGrubStub(rootUUID:)``) goes to ``efiGrubStubPath`` on both.
    var efiFiles: [(source: String, destination: String)] {
        switch architecture {
        case .amd64:
            return [(shim, "/EFI/BOOT/BOOTX64.EFI"), (signedGrub, "/EFI/BOOT/grubx64.efi"), (mokManager, "/EFI/BOOT/mmx64.efi")]
        case .arm64:
            return [(signedGrubArm64, "/EFI/BOOT/BOOTAA64.EFI")]
        }
    }

    /// Where the signed GRUB's built-in prefix looks for its configuration on the ESP.
    static let efiGrubStubPath = "/EFI/debian/grub.cfg"

    /// shim, signed by Microsoft's UEFI CA: the first stage firmware with Secure Boot runs.
    var shim: String { rootTree + "/usr/lib/shim/shimx64.efi.signed" }
    /// MokManager, which shim starts when a machine owner key change waits.
    var mokManager: String { rootTree + "/usr/lib/shim/mmx64.efi.signed" }
    /// GRUB signed by Debian, which shim verifies and starts.
    var signedGrub: String { rootTree + "/usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed" }
    /// GRUB's i386-pc boot sector image (the MBR's boot code).
    var biosBootImage: String { rootTree + "/boot/grub/i386-pc/boot.img" }
    /// GRUB's i386-pc core image, written to the BIOS boot partition.
    var biosCoreImage: String { rootTree + "/boot/grub/i386-pc/core.img" }
    /// The GRUB configuration Debian's `grub-mkconfig` wrote, which both firmwares' GRUB read.
    var grubConfig: String { rootTree + "/boot/grub/grub.cfg" }

    /// Checks every file is there.
    /// - Throws: ``BasesError/bootFilesMissing(path:package:)`` naming the first missing file and its package.
    func check() throws {
        let expected: [(String, String)]
        switch architecture {
        case .amd64:
            expected = [
                (shim, "shim-signed"), (mokManager, "shim-signed"), (signedGrub, "grub-efi-amd64-signed"),
                (biosBootImage, "grub-pc-bin"), (biosCoreImage, "grub-pc-bin"), (grubConfig, "grub2-common"),
            ]
        case .arm64:
            expected = [(signedGrubArm64, "grub-efi-arm64-signed"), (grubConfig, "grub2-common")]
        }
        for (path, package) in expected where !FileManager.default.fileExists(atPath: path) {
            throw BasesError.bootFilesMissing(path: String(path.dropFirst(rootTree.count)), package: package)
        }
    }

    /// The config stub on the EFI system partition: what `grub-install` writes beside the signed GRUB. It finds the
    /// root file system by UUID and reads the `/boot/grub/grub.cfg` that Debian's kernel hooks keep current.
    /// - Parameter rootUUID: The root file system's UUID.
    static func efiGrubStub(rootUUID: String) -> String {
        """
        search.fs_uuid \(rootUUID) root
        set prefix=($root)'/boot/grub'
        configfile $prefix/grub.cfg

        """
    }
}
