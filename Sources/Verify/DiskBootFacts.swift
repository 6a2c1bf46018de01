// What a disk under test says about how it boots, read before anything is booted: its architecture (by the
// Discoverable Partitions root type labforge's disks carry) and whether BIOS has boot code to run.
import DiskImage
import LabforgeRecipe
import Reporting

/// The boot facts of a disk under test, from `qemu-img info` and its first sectors.
public struct DiskBootFacts: Sendable, Equatable {
    /// What qemu-img says about the file (format, size, encryption).
    public var image: DiskImageInfo
    /// The architecture its GPT's root partition type names; nil when the disk carries no such type (a disk made
    /// elsewhere may use the generic "Linux filesystem" type) or is encrypted.
    public var architecture: Architecture?
    /// Whether its MBR holds boot code (``GuestBootSectors/hasBIOSBootCode``); nil for an encrypted disk (not looked into).
    public var hasBIOSBootCode: Bool?

    /// The facts of a disk.
    /// - Parameters:
    ///   - image: What qemu-img says about the file.
    ///   - sectors: What the guest disk's first sectors hold; nil when they could not be read (encrypted).
    public init(image: DiskImageInfo, sectors: GuestBootSectors?) {
        self.image = image
        let named = Set((sectors?.partitionTypes ?? []).compactMap(Architecture.init(discoverableRootType:)))
        architecture = named.count == 1 ? named.first : nil
        hasBIOSBootCode = sectors?.hasBIOSBootCode
    }

    /// Checks `disk` as `package` does (name vs. header, sector multiple, not blank) and reads its facts (through
    /// qemu-img for qcow2). Never writes the disk.
    /// - Parameter disk: A qcow2 or raw disk.
    /// - Returns: The facts.
    /// - Throws: ``VerifyError/unreadableDisk(path:message:)`` naming the disk and what is wrong with it.
    public static func read(_ disk: String) async throws -> DiskBootFacts {
        do {
            return try await DedicatedThread.run(name: "labforge.verify.disk") {
                let image = try QemuImg.checkContents(disk)
                let sectors = image.encrypted ? nil : GuestBootSectors(try QemuImg.guestStart(disk, format: image.format))
                return DiskBootFacts(image: image, sectors: sectors)
            }
        } catch {
            throw VerifyError.unreadableDisk(path: disk, message: "\(error)")
        }
    }

    /// Refuses to boot the disk where it cannot boot: as another architecture than its own, or under BIOS without
    /// boot code (SeaBIOS would jump into empty code and wait silently until the verification's limit).
    /// - Parameters:
    ///   - disk: The disk, named in errors.
    ///   - architecture: The architecture it is to boot as.
    ///   - firmware: The firmwares it is to boot under.
    /// - Throws: ``VerifyError/architectureMismatch(path:disk:requested:)``, ``VerifyError/noBIOSBootCode(path:)``.
    public func check(disk: String, architecture: Architecture, firmware: [Firmware]) throws {
        if let own = self.architecture, own != architecture {
            throw VerifyError.architectureMismatch(path: disk, disk: own, requested: architecture)
        }
        if firmware.contains(.bios), hasBIOSBootCode == false {
            throw VerifyError.noBIOSBootCode(path: disk)
        }
    }
}
