// What can go wrong reading a disk's software inventory or an SBOM file.

/// Errors of the SBOM module; each names the disk, file or package at fault and what to do.
public enum SBOMError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The package database could not be parsed.
    case malformedPackageDatabase(path: String, reason: String)
    /// The disk's operating system keeps no package database labforge reads.
    case unsupportedPackageManager(disk: String, packageManager: String)
    /// The disk has no dpkg database at the expected path.
    case missingPackageDatabase(disk: String, path: String)
    /// A file given as an SBOM is neither SPDX 2.3 nor CycloneDX JSON.
    case unrecognizedDocument(path: String, reason: String)
    /// Reading the disk through libguestfs failed.
    case diskUnreadable(disk: String, reason: String)

    public var description: String {
        switch self {
        case .malformedPackageDatabase(let path, let reason):
            return "the package database \(path) is malformed: \(reason); repair it in the image (dpkg --audit) and rebuild"
        case .unsupportedPackageManager(let disk, let manager):
            return "\(disk): its package manager is \(manager); labforge reads only dpkg databases (Debian, Ubuntu) for SBOMs"
        case .missingPackageDatabase(let disk, let path):
            return "\(disk) has no \(path): it is not a dpkg-based system, or the database was removed; an SBOM needs it"
        case .unrecognizedDocument(let path, let reason):
            return "\(path) is not an SPDX 2.3 or CycloneDX JSON SBOM (\(reason)); pass a disk or a file `labforge sbom` wrote"
        case .diskUnreadable(let disk, let reason):
            return "could not read \(disk) through libguestfs: \(reason); check that it is a qcow2 or raw disk with a Linux root"
        }
    }
}
