// Why `labforge customize` refuses a base for the architecture asked.
import Bases
import LabforgeRecipe

/// A base `labforge customize` cannot customize as asked, each naming the file and what to give instead.
enum CustomizeBaseError: Error, CustomStringConvertible, Equatable {
    /// A disk was given for a foreign architecture: its steps run in a root tree on the host, not in the appliance.
    case diskForForeignArchitecture(base: String, architecture: Architecture)
    /// A root tree archive of the host's own architecture: that architecture is customized from a disk.
    case archiveOfHostArchitecture(base: String, architecture: Architecture)
    /// `--arch` names another architecture than the archive's tree.
    case architectureMismatch(base: String, tree: Architecture, asked: Architecture)
    /// The archive's `/usr/bin/true` is not a program of an architecture labforge builds.
    case unknownArchitecture(base: String, machine: String)
    /// The archive's Debian release is not the one the recipe bootstraps (the disk's layout is derived from the suite).
    case suiteMismatch(base: String, tree: String, recipe: String, recipeSuite: String)
    /// The archive lacks a file the check reads, or tar cannot read it.
    case unreadableArchive(base: String, reason: String)
    /// The private directory the tree is extracted into (beside `--output`) cannot be made.
    case workDirectoryUnusable(path: String, reason: String)

    var description: String {
        let bootstrap = "labforge base bootstrap --arch"
        let (problem, remedy): (String, String) = switch self {
        case .diskForForeignArchitecture(let base, let architecture): (
            "--base \(base) is a disk, but \(architecture) is customized in the base's root tree on this host under qemu-user (the libguestfs "
                + "appliance is \(ForeignArchitecture.host?.machine ?? "the host's") and cannot run \(architecture) programs)",
            "give the root tree archive `\(bootstrap) \(architecture)` prints (cached as bases/images/debian-<suite>-\(architecture)-*.tar)")
        case .archiveOfHostArchitecture(let base, let architecture): (
            "--base \(base) is a root tree archive of \(architecture), this host's architecture, which is customized from a disk",
            "give a qcow2 or raw disk (e.g. `labforge base bootstrap --output base.qcow2`)")
        case .architectureMismatch(let base, let tree, let asked): (
            "--base \(base) holds an \(tree) tree, but --arch \(asked) was given",
            "drop --arch (the archive says its architecture), or give an \(asked) base (`\(bootstrap) \(asked)`)")
        case .unknownArchitecture(let base, let machine): (
            "--base \(base): its usr/bin/true is a program for ELF machine \(machine), not one of \(Architecture.allCases.map(\.rawValue).joined(separator: ", "))",
            "give a root tree archive from `\(bootstrap) arm64`")
        case .suiteMismatch(let base, let tree, let recipe, let recipeSuite): (
            "--base \(base) is Debian \(tree), but recipe \(recipe) bootstraps \(recipeSuite) (the disk's root UUID, which the tree's grub.cfg names, "
                + "is derived from the suite)",
            "give the \(recipeSuite) archive (`labforge base bootstrap --suite \(recipeSuite) --arch arm64`)")
        case .unreadableArchive(let base, let reason): (
            "--base \(base) looks like a root tree archive (tar) but cannot be read as one: \(reason)", "make it again with `\(bootstrap) arm64`")
        case .workDirectoryUnusable(let path, let reason): (
            "cannot make the work directory \(path) beside --output (the base's root tree is extracted and customized there): \(reason)",
            "choose an --output in a writable directory with room for the tree")
        }
        return problem + ": " + remedy
    }
}
