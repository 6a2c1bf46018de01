// The state of one running build (in the appliance, or in a host root tree), and the dispatch from each step to its handler.
import Foundation
import Guestfs
import LabforgeRecipe

/// One build in one guest: its files and shell, its package manager, and what earlier steps did.
final class GuestBuild {
    /// Where the guest is: a disk mounted in a launched appliance, or a root tree on the host.
    enum Workspace {
        /// The appliance with the disk's file systems (mounted by ``prepare(resuming:)``).
        case appliance(Appliance, InspectedOperatingSystem)
        /// A root tree on the host; the disk is written from it afterwards, at the size the recipe asks.
        case hostTree(HostRootTree)
    }

    let workspace: Workspace
    let guest: any GuestFileSystem
    let manager: PackageManager
    let artifacts: [PinnedArtifact: String]
    let plan: [PlannedStep]
    let shell: GuestShell

    /// Whether the package indexes were refreshed in this build.
    var indexesRefreshed = false
    /// Step numbers whose packages an earlier batched install already installed → that step's number.
    let installedWith: [Int: Int]
    /// Download directories under a tmpfs right now.
    var scratchMounts: [String] = []
    /// First-boot scripts written so far.
    var firstBootScripts = 0

    init(
        workspace: Workspace, manager: PackageManager, artifacts: [PinnedArtifact: String], plan: [PlannedStep], log: @escaping @Sendable (String) -> Void
    ) {
        self.workspace = workspace
        switch workspace {
        case .appliance(let appliance, _): guest = appliance
        case .hostTree(let tree): guest = tree
        }
        self.manager = manager
        self.artifacts = artifacts
        self.plan = plan
        self.shell = GuestShell(guest: guest, log: log)
        self.installedWith = StepCachePlan.batches(plan)
    }

    /// Grows the root filesystem when asked (it must not be mounted), then mounts the guest read-write
    /// and puts the package download directories on a tmpfs when sysprep would delete them anyway. A host tree needs
    /// none of it (its disk is written afterwards at the recipe's size, from the files alone).
    /// - Parameter resuming: The disk is a step-cache snapshot, which already has the grown root.
    func prepare(resuming: Bool = false) throws {
        guard case .appliance(let appliance, let system) = workspace else { return }
        for case .growRoot(let size) in plan.map(\.step) where !resuming {
            try growRoot(toGiB: size, appliance: appliance, system: system)
        }
        try appliance.mountAll(system, readOnly: false)
        let cleansCaches = plan.contains { if case .sysprep(let sysprep) = $0.step { return sysprep.packageCaches } else { return false } }
        let usesPackages = plan.contains { $0.step.needsNetwork }
        if cleansCaches && usesPackages { try mountScratch() }
    }

    /// Runs one planned step.
    func execute(_ planned: PlannedStep) throws {
        switch planned.step {
        case .install(let requests):
            try install(requests, number: planned.number)
        case .remove(let names):
            try refreshIndexes()
            try shell.run(manager.remove(names))
        case .upgrade:
            try refreshIndexes()
            try shell.run(manager.upgrade)
        case .extractPackageFiles(let package, let path):
            try extract(package: package, path: path)
        case .writeFile(let path, let contents, let mode, let owner):
            try writeFile(path: path, contents: Data(contents.utf8), mode: mode, owner: owner)
        case .upload(let source, let destination, let owner):
            try upload(source: source, destination: destination, owner: owner)
        case .makeDirectory(let path, let mode, let owner):
            try guest.makeDirectories(path)
            try guest.setMode(Int32(mode), of: path)
            try chown(owner, path)
        case .symlink(let target, let path):
            try guest.makeDirectories(Self.parent(of: path))
            try guest.symlink(target, at: path)
        case .delete(let pattern):
            for path in try guest.glob(pattern) { try guest.removeRecursively(path) }
        case .run(let script):
            try shell.run(script)
        case .createUser(let account):
            try createUser(account)
        case .unit(let name, let action):
            try apply(action, toUnit: name)
        case .hostname(let name):
            try setHostname(name)
        case .timezone(let zone):
            try setTimezone(zone)
        case .locale(let locale):
            try setLocale(locale)
        case .firstBoot(let name, let script):
            try addFirstBoot(name: name, script: script)
        case .growRoot:
            if case .hostTree = workspace { shell.log("(the disk is written at this size from the tree)\n") } else { shell.log("(grown before mounting)\n") }
        case .sysprep(let options):
            try sysprep(options)
        }
    }

    /// Leaves the guest consistent: scratch unmounted, free blocks discarded, everything written back.
    func finish() throws {
        try unmountScratch()
        guard case .appliance(let appliance, let system) = workspace else { return }
        for mount in system.mountpoints.reversed() {
            // fstrim fails on filesystems without discard support; that only costs image size.
            do { try appliance.trim(mount.path) } catch { shell.log("fstrim \(mount.path): \(error)\n") }
        }
        try appliance.sync()
        try appliance.unmountAll()
    }

    func writeFile(path: String, contents: Data, mode: Int, owner: FileOwner) throws {
        try guest.makeDirectories(Self.parent(of: path))
        try guest.write(contents, to: path)
        try guest.setMode(Int32(mode), of: path)
        try chown(owner, path)
    }

    /// Changes the owner by name, resolved by the guest's own tools.
    func chown(_ owner: FileOwner, _ path: String, recursive: Bool = false) throws {
        guard owner != .root else {
            try guest.setOwner(uid: 0, gid: 0, of: path)
            return
        }
        try shell.run("chown \(recursive ? "-R " : "")\(shellQuoted("\(owner.user):\(owner.group)")) \(shellQuoted(path))")
    }

    private func upload(source: String, destination: String, owner: FileOwner?) throws {
        let hostPath = URL(fileURLWithPath: source).standardizedFileURL.path
        guard FileManager.default.fileExists(atPath: hostPath) else {
            throw CustomizeError.commandFailed(command: "upload \(hostPath)", status: 1, outputTail: "\(hostPath): no such file or directory on the host")
        }
        try guest.makeDirectories(destination)
        try guest.copyIn(hostPath, to: destination)
        if let owner {
            let copied = destination == "/" ? "/" + URL(fileURLWithPath: hostPath).lastPathComponent
                : destination + "/" + URL(fileURLWithPath: hostPath).lastPathComponent
            try chown(owner, copied, recursive: true)
        }
    }

    static func parent(of path: String) -> String {
        let parent = URL(fileURLWithPath: path).deletingLastPathComponent().path
        return parent.isEmpty ? "/" : parent
    }
}
