// Package steps: one index refresh per build, adjacent installs batched into one package-manager call,
// pinned artifacts uploaded and installed with the guest's own dependency resolution.
import Foundation
import LabforgeRecipe

extension GuestBuild {
    static let packageUploadDirectory = "/tmp/labforge-packages"

    /// Refreshes the package indexes once per build.
    func refreshIndexes() throws {
        guard !indexesRefreshed else { return }
        try shell.run(manager.refresh)
        indexesRefreshed = true
    }

    /// Installs the packages of this step and of the install steps after it up to the next step that could
    /// change what they mean (a script, an upload, a removal, an upgrade, a repository file; see
    /// ``StepCachePlan/batches(_:)``): one package manager run instead of several, which is most of the time
    /// under TCG.
    func install(_ requests: [PackageRequest], number: Int) throws {
        if let earlier = installedWith[number] {
            shell.log("(installed together with step \(earlier))\n")
            return
        }
        var batch = requests
        for later in plan where installedWith[later.number] == number {
            if case .install(let more) = later.step { batch += more }
        }
        try refreshIndexes()
        var names: [String] = []
        var files: [String] = []
        for request in batch {
            switch request.source {
            case .repositories:
                names.append(request.name)
            case .artifact(let artifact):
                try use(artifact, for: request.name, names: &names, files: &files)
            case .repositoriesElse(let artifact):
                if try shell.succeeds(manager.offers(request.name)) {
                    shell.log("\(request.name): from the guest's repositories\n")
                    names.append(request.name)
                } else {
                    shell.log("\(request.name): not in the guest's repositories; using the pinned \(artifact.fileName)\n")
                    try use(artifact, for: request.name, names: &names, files: &files)
                }
            }
        }
        var unique: [String] = []
        for name in names where !unique.contains(name) { unique.append(name) }
        if !unique.isEmpty || !files.isEmpty {
            try shell.run(manager.install(names: unique, files: files))
        }
        try guest.removeRecursively(Self.packageUploadDirectory)
    }

    private func use(_ artifact: PinnedArtifact, for name: String, names: inout [String], files: inout [String]) throws {
        guard let hostPath = artifacts[artifact] else {
            throw CustomizeError.downloadFailed(url: artifact.url, reason: "not fetched before the build")
        }
        switch artifact.kind {
        case .package:
            try guest.makeDirectories(Self.packageUploadDirectory)
            let guestPath = "\(Self.packageUploadDirectory)/\(artifact.fileName)"
            try guest.upload(hostPath, to: guestPath)
            files.append(guestPath)
        case .executable:
            let target = artifact.installPath ?? "/usr/local/bin/\(name)"
            try guest.makeDirectories(Self.parent(of: target))
            try guest.upload(hostPath, to: target)
            try guest.setMode(0o755, of: target)
            try guest.setOwner(uid: 0, gid: 0, of: target)
        }
    }

    /// Copies `path` out of `package` without installing it (or installs the package where the
    /// package manager cannot download alone).
    func extract(package: String, path: String) throws {
        try refreshIndexes()
        if let script = manager.extract(package: package, path: path) {
            try shell.run(script)
        } else {
            try shell.run(manager.install(names: [package], files: []))
        }
    }

    /// Puts the download directories on a tmpfs: the downloaded packages and lists never reach the disk,
    /// so the image carries no freed-but-allocated blocks of them.
    func mountScratch() throws {
        for directory in manager.scratchDirectories {
            try guest.makeDirectories(directory)
            try shell.run("mount -t tmpfs -o size=1536m,mode=0755 tmpfs \(shellQuoted(directory))")
            scratchMounts.append(directory)
        }
    }

    /// Unmounts the scratch tmpfs (before sysprep, and at the end).
    func unmountScratch() throws {
        while let directory = scratchMounts.popLast() {
            try shell.run("umount \(shellQuoted(directory))")
        }
    }
}

extension Step {
    /// Whether an install after this step must not be merged into an install before it.
    var endsPackageBatch: Bool {
        switch self {
        case .run, .upload, .remove, .upgrade, .sysprep, .locale: return true
        case .writeFile(let path, _, _, _):
            return ["/etc/apt", "/etc/yum.repos.d", "/etc/zypp", "/etc/apk", "/etc/dnf"].contains { path.hasPrefix($0) }
        default: return false
        }
    }
}
