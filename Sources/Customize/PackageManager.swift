// The guest's package manager, chosen by libguestfs inspection: the commands for apt, dnf, zypper and apk.
import LabforgeRecipe

/// A package manager labforge drives inside the guest.
enum PackageManager: String, Sendable {
    case apt
    case dnf
    case zypper
    case apk

    /// Picks the manager inspection reported.
    /// - Throws: ``CustomizeError/unsupportedPackageManager(distro:manager:)``.
    init(inspected: String, distro: String) throws {
        switch inspected {
        case "apt": self = .apt
        case "dnf", "yum": self = .dnf
        case "zypper": self = .zypper
        case "apk": self = .apk
        default: throw CustomizeError.unsupportedPackageManager(distro: distro, manager: inspected)
        }
    }

    /// Refreshes the package indexes (run once, before the first package operation).
    var refresh: String {
        switch self {
        // No translated descriptions: a third of the bytes fetched, read by nobody in a build.
        case .apt: return "apt-get -q -o Acquire::Languages=none update"
        case .dnf: return "dnf -y -q makecache"
        case .zypper: return "zypper -n -q refresh"
        case .apk: return "apk update"
        }
    }

    /// Installs repository packages and local package files, without recommended packages.
    func install(names: [String], files: [String]) -> String {
        let all = (names + files).map(shellQuoted).joined(separator: " ")
        switch self {
        case .apt:
            // unsafe-io: no fsync per file; the whole disk is synced once at the end.
            return "apt-get -q -y --no-install-recommends -o Dpkg::Options::=--force-confnew -o Dpkg::Options::=--force-unsafe-io install \(all)"
        case .dnf: return "dnf -y --setopt=install_weak_deps=False install \(all)"
        case .zypper: return "zypper -n install --no-recommends --allow-unsigned-rpm \(all)"
        case .apk: return "apk add --allow-untrusted \(all)"
        }
    }

    /// Exits 0 when the repositories offer `name`.
    func offers(_ name: String) -> String {
        let quoted = shellQuoted(name)
        switch self {
        case .apt: return "apt-cache show --no-all-versions \(quoted) >/dev/null 2>&1"
        case .dnf: return "dnf -q info \(quoted) >/dev/null 2>&1"
        case .zypper: return "zypper -n -q info \(quoted) | grep -q '^Name'"
        case .apk: return "apk search -x \(quoted) | grep -q ."
        }
    }

    /// Removes packages (and, with apt, what only they needed).
    func remove(_ names: [String]) -> String {
        let all = names.map(shellQuoted).joined(separator: " ")
        switch self {
        case .apt: return "apt-get -q -y purge \(all) && apt-get -q -y --purge autoremove"
        case .dnf: return "dnf -y remove \(all)"
        case .zypper: return "zypper -n remove --clean-deps \(all)"
        case .apk: return "apk del \(all)"
        }
    }

    /// Upgrades every package.
    var upgrade: String {
        switch self {
        case .apt: return "apt-get -q -y -o Dpkg::Options::=--force-confnew -o Dpkg::Options::=--force-unsafe-io upgrade"
        case .dnf: return "dnf -y upgrade"
        case .zypper: return "zypper -n update"
        case .apk: return "apk upgrade"
        }
    }

    /// Removes downloaded packages and package lists.
    var clean: String {
        switch self {
        case .apt: return "apt-get clean; rm -rf /var/lib/apt/lists/*; rm -f /var/cache/apt/*.bin /var/cache/debconf/*-old"
        case .dnf: return "dnf clean all; rm -rf /var/cache/dnf/*"
        case .zypper: return "zypper -n clean --all"
        case .apk: return "rm -rf /var/cache/apk/*"
        }
    }

    /// Copies `path` out of a package without installing it; `nil` where the manager cannot download alone
    /// (the engine then installs the package).
    func extract(package: String, path: String) -> String? {
        let work = "/tmp/labforge-extract"
        let copy = "rm -rf \(shellQuoted(path)) && mkdir -p \"$(dirname \(shellQuoted(path)))\" && cp -a \(work)/root\(shellQuoted(path)) \(shellQuoted(path)); status=$?; rm -rf \(work); exit $status"
        switch self {
        case .apt:
            return "rm -rf \(work) && mkdir -p \(work)/root && cd \(work) && apt-get -q download \(shellQuoted(package)) && dpkg-deb -x \(work)/*.deb \(work)/root && \(copy)"
        case .dnf:
            return "rm -rf \(work) && mkdir -p \(work)/root && cd \(work) && dnf -q download \(shellQuoted(package)) && cd root && rpm2cpio ../*.rpm | cpio -idm && \(copy)"
        case .zypper, .apk:
            return nil
        }
    }

    /// Directories that hold only downloads during a build: a tmpfs over them keeps those bytes off the disk.
    var scratchDirectories: [String] {
        switch self {
        case .apt: return ["/var/cache/apt/archives", "/var/lib/apt/lists"]
        case .dnf: return ["/var/cache/dnf"]
        case .zypper: return ["/var/cache/zypp/packages"]
        case .apk: return ["/var/cache/apk"]
        }
    }
}
