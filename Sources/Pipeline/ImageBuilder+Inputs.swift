// What an image is built from besides its recipe: the base as built (with host-installed packages) and, for a pod
// image, the fingerprint of its root tree.
import Bases
import Crypto
import Customize
import EngineIdentity
import Foundation
import LabforgeRecipe

extension ImageBuilder {
    /// The recipe's leading install steps that the bootstrap installs on the host (``HostPackagePlan``): only
    /// when the base is a labforge bootstrap of amd64, and unless `LABFORGE_HOST_PACKAGES=0`. (They spare amd64 the
    /// appliance's emulated package installs; a foreign architecture's steps run in a host tree under qemu-user anyway,
    /// as fast as in the bootstrap, so its base stays the plain one every recipe shares.)
    var hostPackages: HostPackagePlan? {
        guard case .debianBootstrap(let spec) = recipe.base, spec.architecture == .amd64,
              ProcessInfo.processInfo.environment["LABFORGE_HOST_PACKAGES"] != "0"
        else { return nil }
        let plan = HostPackagePlan(plan: recipe.plan)
        return plan.isEmpty ? nil : plan
    }

    /// The base as built: the recipe's, or its bootstrap with the host packages added (a base keyed by that package set).
    var builtBase: BaseImage {
        guard case .debianBootstrap(let spec) = recipe.base, let host = hostPackages else { return recipe.base }
        return .debianBootstrap(host.adding(to: spec))
    }

    /// sha256 over what a pod image is made of: the recipe, the container plan's staged files and hooks, the archives,
    /// the mirror, labforge's version and its engine identity (the recipe DSL's meaning and the packer).
    func podFingerprint(plan: ContainerPlan, bootstrap: DebianBootstrap?) throws -> ImageFingerprint {
        let archive = bootstrap.flatMap { store.lastKnownArchiveState(for: $0)?.keyInput } ?? ""
        var hasher = SHA256()
        let script = ContainerTreeScript(plan: plan, artifacts: [:], staging: "/staging")
        let files = ContainerTreeScript.stagedFiles(plan: plan).sorted { $0.key < $1.key }
        let parts = ["labforge-container-1"] + ContainerTreeScript.dpkgExcludes + [
            try recipe.fingerprint, options.toolVersion, EngineIdentity.customization, EngineIdentity.packaging, archive,
            store.bootstrapper.mirror, store.bootstrapper.securityMirror, plan.suite,
        ] + script.includedPackages + script.hooks.map(\.script) + files.map { "\($0.key)\u{0}\($0.value)" }
            + (architecture == .amd64 ? [] : ["architecture \(architecture)"])
        for part in parts { hasher.update(data: Data((part + "\u{0}").utf8)) }
        let hex = hasher.finalize().map { String(format: "%02x", $0) }.joined()
        return ImageFingerprint(hex: hex, baseIdentity: "mmdebstrap root tree (\(plan.suite)\(architecture == .amd64 ? "" : ", \(architecture)"))")
    }
}
