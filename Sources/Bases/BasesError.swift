// Everything that can go wrong while fetching, verifying, converting or bootstrapping a base image.
import DiskImage
import Foundation
import LabforgeRecipe

/// Errors of the Bases module; each names the URL, file or step at fault and what to do.
public enum BasesError: Error, Sendable, CustomStringConvertible {
    /// The downloaded bytes do not match the pinned checksum; the file was removed.
    case checksumMismatch(url: String, expected: String, got: String)
    /// The server answered with an HTTP status we cannot use.
    case httpStatus(url: String, status: UInt, attempt: Int)
    /// The download kept failing after all retries.
    case downloadFailed(url: String, attempts: Int, reason: String)
    /// An external tool (mmdebstrap, qemu-img, xz, gzip) exited non-zero.
    case toolFailed(tool: String, arguments: [String], status: Int32, output: String)
    /// An external tool is not installed.
    case toolMissing(tool: String, package: String)
    /// A local base file does not exist or cannot be read.
    case localFileMissing(path: String)
    /// The cache directory cannot be created or written.
    case cacheUnusable(path: String, reason: String)
    /// The root tree lacks a file of the boot chain (a package of the boot chain did not install).
    case bootFilesMissing(path: String, package: String)
    /// GRUB's BIOS boot or core image is not what GRUB makes.
    case bootImageUnusable(path: String, reason: String)
    /// A well-known base name is not in the built-in list.
    case unknownBase(name: String, known: [String])
    /// A published checksum file does not list the pinned file.
    case notInChecksumFile(file: String, checksumURL: String)
    /// A checksum string is not hexadecimal of the right length.
    case malformedChecksum(value: String)
    /// The Debian mirror could not be asked for an archive's `InRelease` file, and no earlier answer is recorded.
    case archiveUnreachable(url: String, reason: String)
    /// A base disk (downloaded or local) that cannot be used: it reads another host file, or is not its declared format.
    case unusableDisk(DiskImageError)
    /// A bootstrap installs a pinned `.deb` that the caller did not fetch.
    case pinnedPackageMissing(package: String, file: String)
    /// The host cannot run a foreign architecture's programs (binfmt_misc or qemu-user missing), so no tree of it can be bootstrapped.
    case foreignArchitectureUnsupported(architecture: String, missing: String)
    /// A disk asked to be smaller than its bootstrap's size.
    case diskTooSmall(requestedGiB: Int, minimumGiB: Int)

    /// The message shown to the user: what failed, where, and what to do.
    public var description: String {
        switch self {
        case let .checksumMismatch(url, expected, got):
            return "checksum mismatch for \(url): expected \(expected), got \(got). The bad file was removed; check the pinned checksum or the mirror."
        case let .httpStatus(url, status, attempt):
            return "download of \(url) failed: HTTP \(status) (attempt \(attempt)). Check the URL."
        case let .downloadFailed(url, attempts, reason):
            return "download of \(url) failed after \(attempts) attempts: \(reason). The partial file is kept and the next run resumes it."
        case let .toolFailed(tool, arguments, status, output):
            return "\(tool) failed with exit status \(status): \(([tool] + arguments).joined(separator: " "))\n\(output.suffix(3000))"
        case let .toolMissing(tool, package):
            return "\(tool) is not installed; install the Debian package \(package) (`make deps`)."
        case let .localFileMissing(path):
            return "base image file \(path) does not exist or is not readable."
        case let .cacheUnusable(path, reason):
            return "cache directory \(path) is not usable: \(reason). Pass --cache-dir or fix its permissions."
        case let .bootFilesMissing(path, package):
            return "the bootstrapped tree has no \(path): the disk could not boot. It comes from the guest's package \(package); check that the suite has it (Debian 12 and later do) and the bootstrap log."
        case let .bootImageUnusable(path, reason):
            return "GRUB's BIOS image \(path) cannot be placed: \(reason). The suite's grub-pc-bin may be a GRUB this labforge does not know; report it, or build for UEFI only (firmware: [.uefiSecureBoot])."
        case let .unknownBase(name, known):
            return "unknown base \(name); known bases: \(known.joined(separator: ", ")) (or give an https URL with --sha256/--sha512)."
        case let .notInChecksumFile(file, checksumURL):
            return "\(checksumURL) does not list \(file); the upstream image was probably replaced — update the pin."
        case let .archiveUnreachable(url, reason):
            return "cannot fetch \(url) to learn the state of the Debian archive: \(reason). Check the mirror (--mirror) and the network; once one check succeeded, later builds fall back to its answer."
        case let .unusableDisk(error):
            return error.description
        case let .pinnedPackageMissing(package, file):
            return "the bootstrap installs \(package) from the pinned \(file), but that file was not fetched before the bootstrap (a labforge bug: fetch the recipe's artifacts first)."
        case let .foreignArchitectureUnsupported(architecture, missing):
            return "cannot bootstrap \(architecture) on this host: \(missing). Run `make deps`, or: apt-get install qemu-user-static binfmt-support; mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc; update-binfmts --enable qemu-\(Architecture(rawValue: architecture)?.machine ?? architecture)."
        case let .diskTooSmall(requestedGiB, minimumGiB):
            return "a disk of \(requestedGiB) GiB was asked for a base of \(minimumGiB) GiB; give at least \(minimumGiB) GiB."
        case let .malformedChecksum(value):
            return "\(value) is not a valid sha256 (64 hex digits) or sha512 (128 hex digits) checksum."
        }
    }
}
