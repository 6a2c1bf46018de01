// The state of one running build inside the appliance, and the dispatch from each step to its handler.
import Foundation
import Guestfs
import LabforgeRecipe

/// One build in one launched appliance: the guest, its package manager, and what earlier steps did.
final class GuestBuild {
    let appliance: Appliance
    let system: InspectedOperatingSystem
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
        appliance: Appliance, system: InspectedOperatingSystem, manager: PackageManager, artifacts: [PinnedArtifact: String],
        plan: [PlannedStep], shell: GuestShell
    ) {
        self.appliance = appliance
        self.system = system
        self.manager = manager
        self.artifacts = artifacts
        self.plan = plan
        self.shell = shell
        self.installedWith = StepCachePlan.batches(plan)
    }

    /// Grows the root filesystem when asked (it must not be mounted), then mounts the guest read-write
    /// and puts the package download directories on a tmpfs when sysprep would delete them anyway.
    /// - Parameter resuming: The disk is a step-cache snapshot, which already has the grown root.
    func prepare(resuming: Bool = false) throws {
        for case .growRoot(let size) in plan.map(\.step) where !resuming {
            try growRoot(toGiB: size)
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
            try appliance.makeDirectories(path)
            try appliance.setMode(Int32(mode), of: path)
            try chown(owner, path)
        case .symlink(let target, let path):
            try appliance.makeDirectories(Self.parent(of: path))
            try appliance.symlink(target, at: path)
        case .delete(let pattern):
            for path in try appliance.glob(pattern) { try appliance.removeRecursively(path) }
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
            shell.log("(grown before mounting)\n")
        case .sysprep(let options):
            try sysprep(options)
        }
    }

    /// Leaves the guest consistent: scratch unmounted, free blocks discarded, everything written back.
    func finish() throws {
        try unmountScratch()
        for mount in system.mountpoints.reversed() {
            // fstrim fails on filesystems without discard support; that only costs image size.
            do { try appliance.trim(mount.path) } catch { shell.log("fstrim \(mount.path): \(error)\n") }
        }
        try appliance.sync()
        try appliance.unmountAll()
    }

    func writeFile(path: String, contents: Data, mode: Int, owner: FileOwner) throws {
        try appliance.makeDirectories(Self.parent(of: path))
        try appliance.write(contents, to: path)
        try appliance.setMode(Int32(mode), of: path)
        try chown(owner, path)
    }

    /// Changes the owner by name, resolved by the guest's own tools.
    func chown(_ owner: FileOwner, _ path: String, recursive: Bool = false) throws {
        guard owner != .root else {
            try appliance.setOwner(uid: 0, gid: 0, of: path)
            return
        }
        try shell.run("chown \(recursive ? "-R " : "")\(shellQuoted("\(owner.user):\(owner.group)")) \(shellQuoted(path))")
    }

    private func upload(source: String, destination: String, owner: FileOwner?) throws {
        let hostPath = URL(fileURLWithPath: source).standardizedFileURL.path
        guard FileManager.default.fileExists(atPath: hostPath) else {
            throw CustomizeError.commandFailed(command: "upload \(hostPath)", status: 1, outputTail: "\(hostPath): no such file or directory on the host")
        }
        try appliance.makeDirectories(destination)
        try appliance.copyIn(hostPath, to: destination)
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
