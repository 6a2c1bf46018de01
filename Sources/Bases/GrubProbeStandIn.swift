// labforge's stand-in for a tree's grub-probe while there is no disk yet: the answers the finished disk will give.
import Foundation
import LabforgeRecipe

/// The tree's `grub-probe` replaced by a script that answers what the real one will say of the disk
/// ``DebianBootstrapper/writeDisk(rootTree:spec:sizeGiB:output:log:)`` writes (ext4 root with the layout's UUID in
/// GPT partition 1). Debian's `grub-mkconfig` asks it, so `update-grub` — which the kernel packages' hook
/// (`zz-update-grub`) runs on every kernel install — writes a `grub.cfg` for that disk even in a tree that is not
/// on it yet (the bootstrap's boot hook; a customization of an extracted root tree under qemu-user, where the real
/// one would answer for the host's file system or fail). The real binary is kept beside it and put back by ``remove()``.
public struct GrubProbeStandIn: Sendable {
    /// Where the tree's `grub-probe` is.
    static let path = "/usr/sbin/grub-probe"
    /// The suffix the real binary is kept under while the stand-in is in place.
    static let realSuffix = ".labforge-real"

    /// The tree it is installed in.
    public let rootTree: String

    /// The stand-in's text (a shell script).
    /// - Parameter rootUUID: The root file system's UUID (``HostDiskLayout/uuid``).
    static func script(rootUUID: String) -> String {
        """
            #!/bin/sh
            # labforge's stand-in while the image is built: what grub-probe will answer on the finished disk.
            target=device
            for argument in "$@"; do case "$argument" in --target=*) target="${argument#--target=}";; esac; done
            case "$target" in
              device) echo "UUID=\(rootUUID)";;
              fs_uuid) echo "\(rootUUID)";;
              fs) echo ext2;;
              fs_label) echo \(DebianBootstrapFiles.rootLabel);;
              partmap) echo gpt;;
              abstraction) ;;
              drive) echo "(hd0,gpt1)";;
              compatibility_hint) echo "hd0,gpt1";;
              hints_string) echo "--hint-bios=hd0,gpt1 --hint-efi=hd0,gpt1 --hint-baremetal=ahci0,gpt1";;
              *) echo "grub-probe (labforge build): no answer for --target=$target" >&2; exit 1;;
            esac

            """
    }

    /// Puts the stand-in in place of `rootTree`'s `grub-probe`, answering for the disk `spec` gives.
    /// - Parameters:
    ///   - rootTree: An extracted root tree of `spec` (``DebianBootstrapper/extractRootTree(archive:into:)``).
    ///   - spec: The bootstrap the tree came from (its layout's UUID is what `grub.cfg` will name).
    /// - Returns: The installed stand-in; call ``remove()`` before the disk is written.
    /// - Throws: ``BasesError/bootFilesMissing(path:package:)`` when the tree has no `grub-probe`,
    ///   ``BasesError/cacheUnusable(path:reason:)`` when it cannot be replaced.
    public static func install(in rootTree: String, spec: DebianBootstrap) throws -> GrubProbeStandIn {
        let probe = rootTree + path, real = probe + realSuffix
        let files = FileManager.default
        guard files.fileExists(atPath: probe) else { throw BasesError.bootFilesMissing(path: path, package: "grub-common") }
        do {
            // A stand-in left by an earlier run is replaced; the real binary kept beside it stays.
            if !files.fileExists(atPath: real) { try files.moveItem(atPath: probe, toPath: real) }
            try script(rootUUID: try HostDiskLayout.make(for: spec).uuid).write(toFile: probe, atomically: false, encoding: .utf8)
            try files.setAttributes([.posixPermissions: 0o755], ofItemAtPath: probe)
        } catch let error as BasesError {
            throw error
        } catch {
            throw BasesError.cacheUnusable(path: probe, reason: "cannot put labforge's grub-probe stand-in in place: \(error)")
        }
        return GrubProbeStandIn(rootTree: rootTree)
    }

    /// Puts the tree's real `grub-probe` back.
    /// - Throws: ``BasesError/cacheUnusable(path:reason:)`` when it cannot be moved back.
    public func remove() throws {
        let probe = rootTree + Self.path, real = probe + Self.realSuffix
        let files = FileManager.default
        guard files.fileExists(atPath: real) else { return }
        do {
            if files.fileExists(atPath: probe) { try files.removeItem(atPath: probe) }
            try files.moveItem(atPath: real, toPath: probe)
        } catch {
            throw BasesError.cacheUnusable(path: probe, reason: "cannot put the tree's grub-probe back from \(real): \(error)")
        }
    }
}
