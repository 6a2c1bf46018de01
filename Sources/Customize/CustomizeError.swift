// What can go wrong while customizing a disk, each case naming the step, command, file or URL at fault.
import DiskImage
import LabforgeRecipe

/// How a step failed: the command, its exit status and the end of its output.
public struct StepFailure: Sendable, Equatable {
    /// The guest command that failed, when the step ran one.
    public var command: String?
    /// Its exit status.
    public var status: Int32?
    /// The last lines of its output.
    public var outputTail: String
    /// What went wrong, in words.
    public var message: String
}

/// A customization failed. No output disk is left behind.
public enum CustomizeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The recipe is not valid.
    case invalidRecipe(RecipeError)
    /// The base disk does not exist or cannot be read.
    case baseNotFound(String)
    /// The output's directory does not exist.
    case outputDirectoryMissing(String)
    /// The guest's package manager is not one labforge drives.
    case unsupportedPackageManager(distro: String, manager: String)
    /// A guest command exited non-zero.
    case commandFailed(command: String, status: Int32, outputTail: String)
    /// A step failed; the build stopped there.
    case stepFailed(number: Int, total: Int, title: String, failure: StepFailure)
    /// A systemd unit to enable is in none of the unit directories.
    case unitNotFound(String)
    /// A unit has no `[Install]` section to enable it by.
    case unitNotInstallable(String)
    /// The time zone is not in the guest's tz database.
    case timezoneNotFound(String)
    /// Growing the root filesystem is not supported for this layout.
    case growUnsupported(String)
    /// A pinned artifact could not be downloaded.
    case downloadFailed(url: String, reason: String)
    /// A pinned artifact's sha256 differs from the recipe's.
    case checksumMismatch(url: String, expected: String, actual: String)
    /// qemu-img failed on the base, the overlay or the output.
    case diskImage(DiskImageError)
    /// libguestfs failed outside a step (launch, inspection, mounting).
    case appliance(String)
    /// A file or directory the recipe uploads cannot be read, so no cache key can name its contents.
    case uploadUnreadable(path: String, reason: String)
    /// A recipe value could not be encoded into a cache key (there is no fallback: a key must name everything).
    case cacheKeyUnencodable(subject: String, reason: String)

    public var description: String {
        switch self {
        case .invalidRecipe(let error):
            return error.description
        case .baseNotFound(let path):
            return "base disk \(path) does not exist or is not readable; pass an existing disk with --base"
        case .outputDirectoryMissing(let path):
            return "the directory of the output \(path) does not exist; create it first"
        case .unsupportedPackageManager(let distro, let manager):
            return "the guest (\(distro)) uses the package manager \"\(manager)\"; labforge drives apt, dnf, zypper and apk only"
        case .commandFailed(let command, let status, let tail):
            return "`\(command)` exited with status \(status)" + (tail.isEmpty ? "" : "; last output:\n\(tail)")
        case .stepFailed(let number, let total, let title, let failure):
            var text = "step \(number)/\(total) \"\(title)\" failed: \(failure.message)"
            if let command = failure.command, let status = failure.status {
                text = "step \(number)/\(total) \"\(title)\" failed: `\(command)` exited with status \(status)"
            }
            if !failure.outputTail.isEmpty { text += "\nlast output:\n\(failure.outputTail)" }
            return text + "\nno output disk was written; the full log is in the build log"
        case .unitNotFound(let name):
            return "systemd unit \(name) is in none of /etc/systemd/system, /usr/lib/systemd/system, /lib/systemd/system; install or write it first"
        case .unitNotInstallable(let name):
            return "systemd unit \(name) has no WantedBy=/RequiredBy=/Alias= in [Install]; nothing says how to enable it"
        case .timezoneNotFound(let zone):
            return "time zone \(zone) is not in the guest's /usr/share/zoneinfo (is tzdata installed?)"
        case .growUnsupported(let reason):
            return "cannot grow the root filesystem: \(reason)"
        case .downloadFailed(let url, let reason):
            return "download of \(url) failed: \(reason); check the URL and the network"
        case .checksumMismatch(let url, let expected, let actual):
            return "\(url) has sha256 \(actual) but the recipe pins \(expected); the file changed upstream: update the pin after checking it"
        case .diskImage(let error):
            return error.description
        case .appliance(let message):
            return message
        case .uploadUnreadable(let path, let reason):
            return "\(path): the recipe uploads it but it cannot be read (\(reason)); fix its permissions or the recipe's path"
        case .cacheKeyUnencodable(let subject, let reason):
            return "cannot compute the cache key of \(subject): \(reason)"
        }
    }
}
