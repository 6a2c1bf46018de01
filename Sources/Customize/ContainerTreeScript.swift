// Turns a recipe's container plan into the mmdebstrap run that makes the pod image's root tree: packages, then one hook per step.
import Foundation
import LabforgeRecipe

/// The root tree of a pod lab image as one mmdebstrap run on the host (``Bases/DebianRootTree``'s inputs).
///
/// The recipe's first package batch (the first install step and the installs that may join it, as
/// ``StepCachePlan/batches(_:)`` decides for the VM) goes to `--include`, so apt resolves it in one run; the pinned
/// packages of that batch follow in the first hook ("the guest's repositories, else this file", decided in the
/// tree like the appliance does). Every other applied step is one `--customize-hook` in plan order, a script
/// staged on the host that works on the tree (`$1`) and runs commands in it with `chroot` (mmdebstrap has
/// /dev, /proc and /sys mounted there and apt's lists present). The last hooks write the supervisor, prepare
/// the credentials directory, and clean: no setuid/setgid bits, no package caches, logs or lists.
public struct ContainerTreeScript: Sendable {
    /// Packages for `--include` (repositories only), the init's first.
    public var includedPackages: [String]
    /// Step numbers whose packages are installed by `--include` or the first hook.
    public var batchedSteps: [Int]
    /// Hook scripts in order: a name (for the staging file) and the script (`$1` is the tree).
    public var hooks: [(name: String, script: String)]

    /// The marker a hook prints before its step, so a failure names the step.
    public static let stepMarker = "labforge-container-step:"

    /// Builds the hooks for `plan`.
    /// - Parameters:
    ///   - plan: The recipe's container plan.
    ///   - artifacts: Pinned artifact → host file (already downloaded and checked).
    ///   - staging: The host directory the hooks' files are staged in (file contents are written there by ``stagedFiles``).
    public init(plan: ContainerPlan, artifacts: [PinnedArtifact: String], staging: String) {
        let applied = plan.applied
        let batchedInto = StepCachePlan.batches(applied)
        var included = LabSupervisor.packages
        var batched: [Int] = []
        var pinnedFirst: [PackageRequest] = []
        // The first install leads the batch unless a step before it could change what packages mean.
        if let first = applied.firstIndex(where: { if case .install = $0.step { return true } else { return false } }),
           !applied[..<first].contains(where: \.step.endsPackageBatch) {
            let leader = applied[first].number
            for planned in applied where planned.number == leader || batchedInto[planned.number] == leader {
                guard case .install(let requests) = planned.step else { continue }
                batched.append(planned.number)
                for request in requests {
                    if case .repositories = request.source { included.append(request.name) } else { pinnedFirst.append(request) }
                }
            }
        }
        includedPackages = included
        batchedSteps = batched

        var hooks: [(name: String, script: String)] = []
        let total = plan.entries.count
        if !pinnedFirst.isEmpty {
            hooks.append(("pinned-packages", Self.prelude + Self.marker(batched.first ?? 0, total, "install " + pinnedFirst.map(\.description).joined(separator: " "))
                + Self.installScript(pinnedFirst, artifacts: artifacts)))
        }
        var files = 0
        for planned in applied where !batched.contains(planned.number) {
            var body = ""
            switch planned.step {
            case .install(let requests):
                body = Self.installScript(requests, artifacts: artifacts)
            case .remove(let names):
                body = Self.inTree(PackageManager.apt.remove(names))
            case .upgrade:
                body = Self.inTree(PackageManager.apt.refresh + " && " + PackageManager.apt.upgrade)
            case .extractPackageFiles(let package, let path):
                body = Self.inTree("""
                    d=$(mktemp -d) && cd "$d" && apt-get -q download \(shellQuoted(package)) && dpkg-deb -x ./*.deb x && \
                    mkdir -p \(shellQuoted(GuestBuild.parent(of: path))) && rm -rf \(shellQuoted(path)) && cp -a "x"\(shellQuoted(path)) \(shellQuoted(path)) && cd / && rm -rf "$d"
                    """)
            case .writeFile(let path, _, let mode, let owner):
                files += 1
                body = "install -D -m \(String(mode, radix: 8)) \(shellQuoted("\(staging)/file-\(files)")) \"$root\"\(shellQuoted(path))\n" + Self.chown(owner, path)
            case .upload(let source, let destination, let owner):
                let name = URL(fileURLWithPath: source).lastPathComponent
                body = "mkdir -p \"$root\"\(shellQuoted(destination))\ncp -a \(shellQuoted(URL(fileURLWithPath: source).standardizedFileURL.path)) \"$root\"\(shellQuoted(destination))/\n"
                if let owner { body += Self.chown(owner, (destination == "/" ? "" : destination) + "/" + name, recursive: true) }
            case .makeDirectory(let path, let mode, let owner):
                body = "mkdir -p \"$root\"\(shellQuoted(path))\nchmod \(String(mode, radix: 8)) \"$root\"\(shellQuoted(path))\n" + Self.chown(owner, path)
            case .symlink(let target, let path):
                body = "mkdir -p \"$root\"\(shellQuoted(GuestBuild.parent(of: path)))\nln -sfn \(shellQuoted(target)) \"$root\"\(shellQuoted(path))\n"
            case .delete(let pattern):
                // The glob is expanded in the tree, as the appliance expands it in the guest.
                body = Self.inTree("rm -rf -- \(pattern)")
            case .run:
                files += 1
                body = "install -D -m 0700 \(shellQuoted("\(staging)/file-\(files)")) \"$root/tmp/labforge-step.sh\"\n"
                    + Self.inTree("/bin/sh /tmp/labforge-step.sh") + "rm -f \"$root/tmp/labforge-step.sh\"\n"
            case .createUser(let account):
                body = Self.inTree(GuestBuild.createUserScript(account))
                if !account.authorizedKeys.isEmpty {
                    body += "# SSH keys: no sshd runs in a pod lab; not written\n"
                }
            case .timezone(let zone):
                body = """
                    [ -f "$root/usr/share/zoneinfo/\(zone)" ] || { echo "time zone \(zone) not found in the tree (tzdata installed?)" >&2; exit 1; }
                    ln -sfn /usr/share/zoneinfo/\(zone) "$root/etc/localtime"
                    echo \(shellQuoted(zone)) > "$root/etc/timezone"

                    """
            case .locale(let locale):
                let charset = locale.split(separator: ".").dropFirst().first.map(String.init) ?? "UTF-8"
                body = Self.inTree("""
                    [ -x /usr/sbin/locale-gen ] || \(PackageManager.apt.install(names: ["locales"], files: []))
                    grep -q '^\(locale) ' /etc/locale.gen || echo '\(locale) \(charset)' >> /etc/locale.gen
                    locale-gen && update-locale LANG=\(shellQuoted(locale))
                    """)
            case .sysprep(let options):
                body = Self.cleanScript(options)
            case .unit, .hostname, .firstBoot, .growRoot:
                // ContainerPlan never marks these `apply`.
                continue
            }
            hooks.append(("step-\(planned.number)", Self.prelude + Self.marker(planned.number, total, planned.step.title) + body))
        }
        hooks.append(("supervisor", Self.prelude + Self.marker(nil, total, "write the supervisor and the credentials directory") + """
            install -D -m 0755 \(shellQuoted("\(staging)/lab-init")) "$root"\(LabSupervisor.path)
            install -d -m 0755 -o root -g root "$root/run/labforge"
            install -d -m 0700 "$root"\(BootCredentials.runtimeDirectory)
            \(Self.inTree("chown \(shellQuoted("\(plan.labUser):\(plan.labUser)")) \(BootCredentials.runtimeDirectory)"))
            """))
        hooks.append(("harden", Self.prelude + Self.marker(nil, total, "strip setuid/setgid bits, clean caches") + Self.hardenScript))
        self.hooks = hooks
    }

    /// The staged files the hooks install, by name (written into `staging` before mmdebstrap runs).
    /// - Parameters:
    ///   - plan: The same plan as ``init(plan:artifacts:staging:)``.
    /// - Returns: File name → contents.
    public static func stagedFiles(plan: ContainerPlan) -> [String: String] {
        var files: [String: String] = ["lab-init": LabSupervisor.script(services: plan.services)]
        var count = 0
        let batched = Set(ContainerTreeScript(plan: plan, artifacts: [:], staging: "").batchedSteps)
        for planned in plan.applied where !batched.contains(planned.number) {
            switch planned.step {
            case .writeFile(_, let contents, _, _):
                count += 1
                files["file-\(count)"] = contents
            case .run(let script):
                count += 1
                files["file-\(count)"] = GuestShell.prelude + script + "\n"
            default: continue
            }
        }
        return files
    }

    static let prelude = """
        #!/bin/sh
        set -eu
        root="$1"
        export DEBIAN_FRONTEND=noninteractive DEBCONF_NONINTERACTIVE_SEEN=true LC_ALL=C LANG=C

        """

    /// The line a hook prints first (`nil`: a container stage after the recipe's steps).
    static func marker(_ number: Int?, _ total: Int, _ title: String) -> String {
        let position = number.map { "[\($0)/\(total)]" } ?? "[container]"
        return "echo \(shellQuoted("\(stepMarker) \(position) \(SecretRedaction.script(title))"))\n"
    }

    /// dpkg leaves these out of the tree, as Debian's own slim container images do: manual pages and info files (no
    /// `man-db` in a minbase tree to read them), translations, and documentation except the copyright files.
    public static let dpkgExcludes = [
        "path-exclude=/usr/share/man/*", "path-exclude=/usr/share/info/*", "path-exclude=/usr/share/locale/*",
        "path-include=/usr/share/locale/locale.alias", "path-exclude=/usr/share/doc/*", "path-include=/usr/share/doc/*/copyright",
    ]

    /// A command run in the tree as root with the guest prelude's environment.
    static func inTree(_ script: String) -> String {
        "chroot \"$root\" /bin/sh -ec \(shellQuoted(GuestShell.prelude + script))\n"
    }

    static func chown(_ owner: FileOwner, _ path: String, recursive: Bool = false) -> String {
        if owner == .root { return "chown \(recursive ? "-R " : "")0:0 \"$root\"\(shellQuoted(path))\n" }
        return inTree("chown \(recursive ? "-R " : "")\(shellQuoted("\(owner.user):\(owner.group)")) \(shellQuoted(path))")
    }

    /// Installs requests in the tree: repository packages by name; "repositories, else file" by name when the
    /// tree's repositories have it; pinned packages from the host file copied in; executables copied to their path.
    static func installScript(_ requests: [PackageRequest], artifacts: [PinnedArtifact: String]) -> String {
        var lines: [String] = ["mkdir -p \"$root/tmp/labforge-debs\""]
        var names: [String] = []
        for request in requests {
            switch request.source {
            case .repositories:
                names.append(request.name)
            case .repositoriesElse(let artifact), .artifact(let artifact):
                guard let file = artifacts[artifact] else {
                    lines.append("echo \(shellQuoted("pinned artifact \(artifact.url) was not downloaded")) >&2; exit 1")
                    continue
                }
                if artifact.kind == .executable, let path = artifact.installPath {
                    lines.append("install -D -m 0755 \(shellQuoted(file)) \"$root\"\(shellQuoted(path))")
                    continue
                }
                let copy = "/tmp/labforge-debs/\(artifact.fileName)"
                lines.append("cp \(shellQuoted(file)) \"$root\"\(shellQuoted(copy))")
                if case .repositoriesElse = request.source {
                    lines.append(inTree("if \(PackageManager.apt.offers(request.name)); then \(PackageManager.apt.install(names: [request.name], files: [])); else \(PackageManager.apt.install(names: [], files: [copy])); fi"))
                } else {
                    lines.append(inTree(PackageManager.apt.install(names: [], files: [copy])))
                }
            }
        }
        if !names.isEmpty { lines.append(inTree(PackageManager.apt.install(names: names, files: []))) }
        lines.append("rm -rf \"$root/tmp/labforge-debs\"")
        return lines.joined(separator: "\n") + "\n"
    }

    /// sysprep in a container: what applies of it (no machine id, host keys or cloud-init state are made there).
    static func cleanScript(_ options: Sysprep) -> String {
        var lines: [String] = []
        if options.machineID { lines.append(": > \"$root/etc/machine-id\"; rm -f \"$root/var/lib/dbus/machine-id\"") }
        if options.sshHostKeys { lines.append("rm -f \"$root\"/etc/ssh/ssh_host_*") }
        if options.logs { lines.append("find \"$root/var/log\" -type f -delete") }
        if options.historiesAndTemporaryFiles {
            lines.append("rm -f \"$root\"/root/.bash_history \"$root\"/home/*/.bash_history")
            lines.append("find \"$root/tmp\" \"$root/var/tmp\" -mindepth 1 -delete")
        }
        if options.randomSeed { lines.append("rm -f \"$root/var/lib/systemd/random-seed\"") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Nothing in a pod lab may gain privileges (`allowPrivilegeEscalation: false`, no capabilities): setuid and
    /// setgid bits are removed from every file (the list goes to the log); caches and logs are not shipped.
    static let hardenScript = """
        find "$root" -xdev -type f -perm /6000 -print | sed "s|^$root|setuid/setgid bit removed: |"
        find "$root" -xdev -type f -perm /6000 -exec chmod ug-s {} +
        rm -rf "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*_* \\
          "$root"/var/cache/debconf/*-old "$root"/var/lib/dpkg/*-old "$root"/var/cache/ldconfig/aux-cache
        find "$root/var/log" -type f \\( -name '*.log' -o -name 'history.log' -o -name 'eipp.log.xz' \\) -delete
        find "$root/run" -mindepth 1 -maxdepth 1 ! -name labforge -exec rm -rf --one-file-system {} +

        """
}
