// The step vocabulary recipe authors write: one small type per step, each producing a `Step`.

/// Install packages from the guest's repositories (without recommended packages).
public struct Install: RecipeComponent {
    let packages: [PackageRequest]
    /// - Parameter packages: Package names.
    public init(_ packages: String...) { self.packages = packages.map { PackageRequest($0) } }
    /// - Parameter packages: Package names.
    public init(_ packages: [String]) { self.packages = packages.map { PackageRequest($0) } }
    /// - Parameter requests: Packages with their sources.
    public init(_ requests: [PackageRequest]) { self.packages = requests }
    public var items: [RecipeItem] { [.step(.install(packages))] }
}

/// Remove packages.
public struct Remove: RecipeComponent {
    let packages: [String]
    /// - Parameter packages: Package names.
    public init(_ packages: String...) { self.packages = packages }
    public var items: [RecipeItem] { [.step(.remove(packages))] }
}

/// Upgrade every installed package.
public struct Upgrade: RecipeComponent {
    /// Creates the step.
    public init() {}
    public var items: [RecipeItem] { [.step(.upgrade)] }
}

/// Write a file with contents, mode and owner.
public struct WriteFile: RecipeComponent {
    let step: Step
    /// - Parameters:
    ///   - path: Absolute guest path (parent directories are created).
    ///   - contents: The text.
    ///   - mode: Permission bits, 0644 by default.
    ///   - owner: Owner, root by default.
    public init(_ path: String, contents: String, mode: Int = 0o644, owner: FileOwner = .root) {
        step = .writeFile(path: path, contents: contents, mode: mode, owner: owner)
    }
    public var items: [RecipeItem] { [.step(step)] }
}

/// Copy a host file or directory tree into a guest directory (modes kept).
public struct Upload: RecipeComponent {
    let step: Step
    /// - Parameters:
    ///   - source: Host path (relative paths are resolved against the working directory at build time).
    ///   - directory: Absolute guest directory (created when missing).
    ///   - owner: Owner of everything copied; unchanged when `nil`.
    public init(_ source: String, into directory: String, owner: FileOwner? = nil) {
        step = .upload(source: source, destination: directory, owner: owner)
    }
    public var items: [RecipeItem] { [.step(step)] }
}

/// Create a directory and its parents.
public struct MakeDirectory: RecipeComponent {
    let step: Step
    /// - Parameters:
    ///   - path: Absolute guest path.
    ///   - mode: Permission bits.
    ///   - owner: Owner.
    public init(_ path: String, mode: Int = 0o755, owner: FileOwner = .root) {
        step = .makeDirectory(path: path, mode: mode, owner: owner)
    }
    public var items: [RecipeItem] { [.step(step)] }
}

/// Create or replace a symbolic link.
public struct Symlink: RecipeComponent {
    let step: Step
    /// - Parameters:
    ///   - path: Absolute guest path of the link.
    ///   - target: What it points to.
    public init(_ path: String, to target: String) { step = .symlink(target: target, path: path) }
    public var items: [RecipeItem] { [.step(step)] }
}

/// Delete files or trees matching a glob.
public struct Delete: RecipeComponent {
    let path: String
    /// - Parameter path: Absolute guest path or glob.
    public init(_ path: String) { self.path = path }
    public var items: [RecipeItem] { [.step(.delete(path: path))] }
}

/// Run a shell script in the guest; a non-zero exit fails the build.
public struct Run: RecipeComponent {
    let script: String
    /// - Parameter script: `/bin/sh -c` script.
    public init(_ script: String) { self.script = script }
    public var items: [RecipeItem] { [.step(.run(script: script))] }
}

/// Create a user.
public struct CreateUser: RecipeComponent {
    let account: UserAccount
    /// - Parameters:
    ///   - name: Login name.
    ///   - uid: Numeric id, or the next free one.
    ///   - comment: Full name.
    ///   - groups: Supplementary groups.
    ///   - sudo: Sudo rights.
    ///   - shell: Login shell.
    ///   - authorizedKeys: SSH public keys.
    ///   - passwordHash: A crypt(3) hash, never a clear password; `nil` keeps the password locked.
    public init(
        _ name: String, uid: Int? = nil, comment: String = "", groups: [String] = [], sudo: SudoRights = .none,
        shell: String = "/bin/bash", authorizedKeys: [String] = [], passwordHash: String? = nil
    ) {
        account = UserAccount(
            name: name, uid: uid, comment: comment, groups: groups, sudo: sudo, shell: shell,
            authorizedKeys: authorizedKeys, passwordHash: passwordHash
        )
    }
    public var items: [RecipeItem] { [.step(.createUser(account))] }
}

/// Enable a systemd unit offline (symlinks from its `[Install]` section).
public struct EnableUnit: RecipeComponent {
    let name: String
    /// - Parameter name: Unit name, e.g. `ssh.service`.
    public init(_ name: String) { self.name = name }
    public var items: [RecipeItem] { [.step(.unit(name: name, action: .enable))] }
}

/// Disable a systemd unit offline.
public struct DisableUnit: RecipeComponent {
    let name: String
    /// - Parameter name: Unit name.
    public init(_ name: String) { self.name = name }
    public var items: [RecipeItem] { [.step(.unit(name: name, action: .disable))] }
}

/// Mask a systemd unit (link to `/dev/null`).
public struct MaskUnit: RecipeComponent {
    let name: String
    /// - Parameter name: Unit name.
    public init(_ name: String) { self.name = name }
    public var items: [RecipeItem] { [.step(.unit(name: name, action: .mask))] }
}

/// Set the hostname.
public struct Hostname: RecipeComponent {
    let name: String
    /// - Parameter name: A DNS label.
    public init(_ name: String) { self.name = name }
    public var items: [RecipeItem] { [.step(.hostname(name))] }
}

/// Set the time zone.
public struct Timezone: RecipeComponent {
    let zone: String
    /// - Parameter zone: A tz database name, e.g. `Europe/Zurich`.
    public init(_ zone: String) { self.zone = zone }
    public var items: [RecipeItem] { [.step(.timezone(zone))] }
}

/// Set the default locale (installs `locales` on Debian when missing).
public struct SystemLocale: RecipeComponent {
    let locale: String
    /// - Parameter locale: E.g. `en_US.UTF-8`.
    public init(_ locale: String) { self.locale = locale }
    public var items: [RecipeItem] { [.step(.locale(locale))] }
}

/// Run a script once at the first boot of each VM.
public struct FirstBoot: RecipeComponent {
    let name: String
    let script: String
    /// - Parameters:
    ///   - name: A short name (letters, digits, `-`), used for the script file.
    ///   - script: `/bin/sh` script.
    public init(_ name: String, script: String) {
        self.name = name
        self.script = script
    }
    public var items: [RecipeItem] { [.step(.firstBoot(name: name, script: script))] }
}

/// Grow the disk and its root filesystem (done before anything else, whatever its place in the body).
public struct GrowDisk: RecipeComponent {
    let sizeGiB: Int
    /// - Parameter sizeGiB: The new virtual size in GiB.
    public init(toGiB sizeGiB: Int) { self.sizeGiB = sizeGiB }
    public var items: [RecipeItem] { [.step(.growRoot(sizeGiB: sizeGiB))] }
}
