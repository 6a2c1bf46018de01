// Reads a root tree's software inventory on the host (a pod lab's tree before it is packed): no appliance needed.
import Crypto
import Foundation

/// Reads the package database, licenses, operating system and recipe files of a root tree on the host.
///
/// Nothing is read through a symbolic link: the dpkg database, `os-release` and every hashed file must be regular
/// files reached through real directories of the tree, so a link planted in the tree cannot make labforge read or
/// publish a hash of a host file.
public struct TreeInventoryReader: Sendable {
    /// Creates a reader.
    public init() {}

    /// What is inside the tree at `root`.
    /// - Parameters:
    ///   - root: The tree's root directory.
    ///   - subject: The image's name and version.
    ///   - filePaths: Absolute paths inside the tree to hash (the recipe's uploads and written files); missing,
    ///     symlinked and not world-readable ones are skipped, as on a disk.
    ///   - artifacts: Downloads the recipe pinned.
    ///   - base: What the tree was made from.
    /// - Returns: The inventory, packages sorted.
    /// - Throws: ``SBOMError/missingPackageDatabase(disk:path:)``, ``SBOMError/malformedPackageDatabase(path:reason:)``,
    ///   ``SBOMError/diskUnreadable(disk:reason:)`` (naming the tree).
    public func read(
        root: String, subject: SoftwareInventory.Subject, filePaths: [String] = [],
        artifacts: [SoftwareInventory.Artifact] = [], base: SoftwareInventory.Base? = nil
    ) throws -> SoftwareInventory {
        guard let status = Self.regularFile(DiskInventoryReader.dpkgStatusPath, in: root) else {
            throw SBOMError.missingPackageDatabase(disk: root, path: DiskInventoryReader.dpkgStatusPath)
        }
        var packages = try DpkgStatus.installedPackages(in: String(decoding: status, as: UTF8.self))
        for index in packages.indices {
            let text = CopyrightLookup.text(
                of: packages[index].name,
                file: { Self.regularFile("/usr/share/doc/\($0)/copyright", in: root) },
                link: { Self.linkTarget("/usr/share/doc/\($0)", in: root) })
            if let text { packages[index].license = DebianCopyright.licenseExpression(in: text) }
        }
        var files: [SoftwareInventory.GuestFile] = []
        for path in Set(filePaths).sorted() {
            guard let data = Self.regularFile(path, in: root, worldReadable: true) else { continue }
            files.append(SoftwareInventory.GuestFile(
                path: path, sha256: SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined(),
                sha1: Insecure.SHA1.hash(data: data).map { String(format: "%02x", $0) }.joined()))
        }
        return SoftwareInventory(
            subject: subject, operatingSystem: try Self.operatingSystem(in: root), packages: packages, files: files,
            artifacts: artifacts, base: base)
    }

    /// `ID`, `VERSION_ID` and `PRETTY_NAME` of the tree's `/etc/os-release` (else `/usr/lib/os-release`).
    static func operatingSystem(in root: String) throws -> SoftwareInventory.OperatingSystem {
        guard let data = regularFile("/etc/os-release", in: root) ?? regularFile("/usr/lib/os-release", in: root) else {
            throw SBOMError.diskUnreadable(disk: root, reason: "neither /etc/os-release nor /usr/lib/os-release is a regular file in the tree")
        }
        var fields: [String: String] = [:]
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            var value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first { value = String(value.dropFirst().dropLast()) }
            fields[String(line[..<equals])] = value
        }
        let major = fields["VERSION_ID"].flatMap { Int($0.split(separator: ".").first ?? "") } ?? 0
        return SoftwareInventory.OperatingSystem(
            distro: fields["ID"] ?? "unknown", majorVersion: major, productName: fields["PRETTY_NAME"] ?? fields["NAME"] ?? "unknown")
    }

    /// The bytes of the regular file at `path` inside `root`, when every component below the root is a real directory
    /// (no symbolic link anywhere) and, with `worldReadable`, the file is readable by everyone.
    static func regularFile(_ path: String, in root: String, worldReadable: Bool = false) -> Data? {
        let components = path.split(separator: "/").map(String.init)
        guard !components.isEmpty, !components.contains(".."), !components.contains(".") else { return nil }
        var current = root
        for (index, component) in components.enumerated() {
            current += "/" + component
            var info = stat()
            guard lstat(current, &info) == 0 else { return nil }
            let type = info.st_mode & S_IFMT
            if index < components.count - 1 {
                guard type == S_IFDIR else { return nil }
            } else {
                guard type == S_IFREG, !worldReadable || info.st_mode & S_IROTH != 0 else { return nil }
            }
        }
        return FileManager.default.contents(atPath: current)
    }

    /// The target of the symbolic link at `path` inside `root` (its parents real directories), if it is one.
    static func linkTarget(_ path: String, in root: String) -> String? {
        let parent = (path as NSString).deletingLastPathComponent
        guard parent == "/" || regularDirectory(parent, in: root) else { return nil }
        return try? FileManager.default.destinationOfSymbolicLink(atPath: root + path)
    }

    private static func regularDirectory(_ path: String, in root: String) -> Bool {
        var current = root
        for component in path.split(separator: "/") {
            current += "/" + component
            var info = stat()
            guard lstat(current, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else { return false }
        }
        return true
    }
}
