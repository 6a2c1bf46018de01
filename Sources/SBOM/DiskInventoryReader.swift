// Reads a finished disk's software inventory through a read-only libguestfs appliance.
import Foundation
import Guestfs

/// Opens a disk read-only, inspects it and reads its package database, licenses and recipe files.
public struct DiskInventoryReader: Sendable {
    /// Where dpkg keeps its database of installed packages.
    public static let dpkgStatusPath = "/var/lib/dpkg/status"

    /// Appliance memory and CPUs (reading needs little).
    public var settings: ApplianceSettings

    /// Creates a reader.
    /// - Parameter settings: Appliance settings.
    public init(settings: ApplianceSettings = ApplianceSettings()) {
        self.settings = settings
    }

    /// What is inside `disk`.
    /// - Parameters:
    ///   - disk: A qcow2 or raw disk holding one Linux system; never written.
    ///   - subject: The image's name and version (the disk's file name when nil).
    ///   - filePaths: Guest files to hash (the recipe's uploads and written files); missing, symlinked and
    ///     not world-readable ones are skipped.
    ///   - artifacts: Downloads the recipe pinned.
    ///   - base: The base image's identity.
    /// - Returns: The inventory, packages sorted.
    /// - Throws: ``SBOMError/diskUnreadable(disk:reason:)``, ``SBOMError/unsupportedPackageManager(disk:packageManager:)``,
    ///   ``SBOMError/missingPackageDatabase(disk:path:)``, ``SBOMError/malformedPackageDatabase(path:reason:)``.
    public func read(
        disk: String, subject: SoftwareInventory.Subject? = nil, filePaths: [String] = [],
        artifacts: [SoftwareInventory.Artifact] = [], base: SoftwareInventory.Base? = nil
    ) throws -> SoftwareInventory {
        let appliance: Appliance
        let system: InspectedOperatingSystem
        do {
            appliance = try Appliance(settings: settings)
            try appliance.add(Drive(path: disk, format: Self.format(of: disk), readOnly: true))
            try appliance.launch()
            system = try appliance.inspectOperatingSystem(diskName: disk)
            try appliance.mountAll(system, readOnly: true)
        } catch {
            throw SBOMError.diskUnreadable(disk: disk, reason: "\(error)")
        }
        defer { try? appliance.shutdown() }
        return try Self.inventory(
            in: appliance, system: system, disk: disk,
            subject: subject ?? SoftwareInventory.Subject(name: URL(fileURLWithPath: disk).deletingPathExtension().lastPathComponent),
            filePaths: filePaths, artifacts: artifacts, base: base)
    }

    /// What is inside the guest an already open appliance has mounted (the customizer's, before it closes: no second
    /// appliance launch). Reads only.
    /// - Parameters:
    ///   - appliance: A launched appliance with the guest's filesystems mounted.
    ///   - system: The inspected guest.
    ///   - disk: The disk's name in errors.
    ///   - subject: The image's name and version.
    ///   - filePaths: Guest files to hash (see ``read(disk:subject:filePaths:artifacts:base:)``).
    ///   - artifacts: Downloads the recipe pinned.
    ///   - base: The base image's identity.
    /// - Returns: The inventory, packages sorted.
    /// - Throws: The errors of ``read(disk:subject:filePaths:artifacts:base:)`` after the launch.
    ///   - phases: Told each phase's name and seconds (`package database`, `licenses`, `files`), for the build log.
    public static func inventory(
        in appliance: Appliance, system: InspectedOperatingSystem, disk: String, subject: SoftwareInventory.Subject,
        filePaths: [String] = [], artifacts: [SoftwareInventory.Artifact] = [], base: SoftwareInventory.Base? = nil,
        phases: (String, Double) -> Void = { _, _ in }
    ) throws -> SoftwareInventory {
        var phaseStarted = Date()
        func phase(_ name: String) {
            phases(name, Date().timeIntervalSince(phaseStarted))
            phaseStarted = Date()
        }
        guard (try? appliance.isFile(Self.dpkgStatusPath)) == true else {
            if system.packageManagement != "apt" && system.packageManagement != "dpkg" {
                throw SBOMError.unsupportedPackageManager(disk: disk, packageManager: system.packageManagement)
            }
            throw SBOMError.missingPackageDatabase(disk: disk, path: Self.dpkgStatusPath)
        }
        var packages: [InstalledPackage]
        do {
            let status = String(decoding: try appliance.readFile(Self.dpkgStatusPath), as: UTF8.self)
            packages = try DpkgStatus.installedPackages(in: status)
        } catch let error as SBOMError {
            throw error
        } catch {
            throw SBOMError.diskUnreadable(disk: disk, reason: "\(error)")
        }
        phase("package database")
        let copyrights = Self.copyrightFiles(in: appliance)
        for index in packages.indices {
            if let text = copyrights(packages[index].name) {
                packages[index].license = DebianCopyright.licenseExpression(in: text)
            }
        }
        phase("licenses")
        var files: [SoftwareInventory.GuestFile] = []
        // Regular, world-readable files only (lstat: a symlink is not followed): a private file's hash is not published.
        for path in Set(filePaths).sorted() {
            guard let status = try? appliance.status(path), status.mode & 0o170000 == 0o100000, status.permissions & 0o004 != 0 else { continue }
            files.append(try Self.hash(path, in: appliance, disk: disk))
        }
        phase("\(files.count) files")
        return SoftwareInventory(
            subject: subject,
            operatingSystem: SoftwareInventory.OperatingSystem(
                distro: system.distro, majorVersion: system.majorVersion, productName: system.productName
            ),
            packages: packages, files: files, artifacts: artifacts, base: base
        )
    }

    /// Every package's `/usr/share/doc/PKG/copyright`, looked up by package name.
    ///
    /// One `tar_out` of `/usr/share/doc` (changelogs and other bulk left out) instead of a round trip per file, which
    /// under TCG costs ~0.2 s each. A documentation directory that is a symlink to a sibling (`libfoo` → `libfoo-common`)
    /// is followed inside the archive only: nothing on the host is ever read through a guest's link.
    /// Falls back to reading file by file when the tar cannot be made.
    static func copyrightFiles(in appliance: Appliance) -> (String) -> String? {
        let temporary = FileManager.default.temporaryDirectory.appendingPathComponent("labforge-doc-\(UUID().uuidString).tar").path
        defer { try? FileManager.default.removeItem(atPath: temporary) }
        let bulk = ["*changelog*", "*.gz", "*.xz", "*.bz2", "*.html", "*.pdf", "*.png", "*.svg", "*.jpg", "*.txt", "*.md",
                    "*.js", "*.css", "*.py", "*.json", "*.xml", "examples", "README*", "NEWS*", "TODO*", "AUTHORS*", "THANKS*"]
        if (try? appliance.tarOut("/usr/share/doc", to: temporary, excludes: bulk)) != nil,
           let data = FileManager.default.contents(atPath: temporary) {
            let entries = TarEntries(data) { $0.hasSuffix("/copyright") && $0.split(separator: "/").count == 2 }
            return { name in
                CopyrightLookup.text(of: name, file: { entries.files[$0 + "/copyright"] }, link: { entries.links[$0] })
            }
        }
        let existing = Set((try? appliance.glob("/usr/share/doc/*/copyright")) ?? [])
        return { name in
            let path = "/usr/share/doc/\(name)/copyright"
            guard existing.contains(path) else { return nil }
            return (try? appliance.readFile(path)).map { String(decoding: $0, as: UTF8.self) }
        }
    }

    /// qcow2 by its magic bytes, else raw: the format is given to libguestfs, never probed by it.
    static func format(of disk: String) throws -> Drive.Format {
        guard let handle = FileHandle(forReadingAtPath: disk) else {
            throw SBOMError.diskUnreadable(disk: disk, reason: "the file cannot be opened")
        }
        defer { try? handle.close() }
        let magic = (try? handle.read(upToCount: 4)) ?? Data()
        return magic == Data([0x51, 0x46, 0x49, 0xFB]) ? .qcow2 : .raw
    }

    /// sha256 and sha1 of a guest file, computed in the appliance (two calls; no copy of the file to the host).
    private static func hash(_ path: String, in appliance: Appliance, disk: String) throws -> SoftwareInventory.GuestFile {
        do {
            return SoftwareInventory.GuestFile(
                path: path, sha256: try appliance.checksum("sha256", of: path), sha1: try appliance.checksum("sha1", of: path))
        } catch {
            throw SBOMError.diskUnreadable(disk: disk, reason: "\(error)")
        }
    }
}
