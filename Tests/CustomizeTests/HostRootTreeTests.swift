// A recipe's steps in a root tree on the host (the path a foreign architecture takes): the same GuestBuild steps as in
// the appliance, run on a small real tree (busybox) extracted from its archive; links in the tree never reach the host.
import Customize
import DiskImage
import Foundation
import LabforgeRecipe
import Reporting
import Testing
import TestSupport

@Suite("customize in a host root tree")
struct HostRootTreeTests {
    /// A busybox root tree packed as the base store packs a foreign architecture's base: a tar with numeric owners.
    static func busyboxArchive(in directory: TemporaryDirectory) async throws -> String {
        let tree = directory.appending("tree")
        for path in ["bin", "etc/systemd/system", "usr/lib/systemd/system", "usr/sbin", "proc", "sys", "dev", "run", "tmp", "srv", "usr/share/zoneinfo/Europe"] {
            try FileManager.default.createDirectory(atPath: tree + "/" + path, withIntermediateDirectories: true)
        }
        try FileManager.default.copyItem(atPath: "/bin/busybox", toPath: tree + "/bin/busybox")
        try await Command.check(["chroot", tree, "/bin/busybox", "--install", "-s", "/bin"])
        try Data("root:x:0:0:root:/root:/bin/sh\n".utf8).write(to: URL(fileURLWithPath: tree + "/etc/passwd"))
        // The tree's own grub-probe: while the steps run, a stand-in answering for the disk to be written takes its place.
        try Data("#!/bin/sh\necho the tree's own grub-probe\n".utf8).write(to: URL(fileURLWithPath: tree + "/usr/sbin/grub-probe"))
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: tree + "/usr/sbin/grub-probe")
        try Data("TZif2 fixture\n".utf8).write(to: URL(fileURLWithPath: tree + "/usr/share/zoneinfo/Europe/Paris"))
        try Data("[Unit]\nDescription=lab\n[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n".utf8)
            .write(to: URL(fileURLWithPath: tree + "/usr/lib/systemd/system/lab.service"))
        // Links a guest may hold: the resolver's (absolute, into /run) and one planted to point at the host's /etc.
        try FileManager.default.createSymbolicLink(atPath: tree + "/etc/resolv.conf", withDestinationPath: "/run/systemd/resolve/stub-resolv.conf")
        try FileManager.default.createSymbolicLink(atPath: tree + "/srv/escape", withDestinationPath: "/etc")
        let archive = directory.appending("base.tar")
        try await Command.check(["tar", "--numeric-owner", "-cf", archive, "-C", tree, "."])
        return archive
    }

    @Test("file, link, unit, time zone and script steps land in the tree; a planted absolute link resolves inside it; the shell sees DNS and no mount outlives it")
    func stepsInTree() async throws {
        let directory = try TemporaryDirectory()
        let archive = try await Self.busyboxArchive(in: directory)
        let marker = "labforge-host-tree-\(UUID().uuidString.prefix(8))"
        let recipe = Recipe(name: "tree-steps", sysprep: nil) {
            WriteFile("/srv/escape/\(marker)", contents: "inside\n")
            MakeDirectory("/opt/lab", mode: 0o750)
            Symlink("/srv/lab", to: "/opt/lab")
            Timezone("Europe/Paris")
            EnableUnit("lab.service")
            Run("cat /etc/resolv.conf > /opt/lab/resolv; grub-probe --target=fs_uuid / > /opt/lab/uuid; echo ran > /tmp/x")
            Delete("/tmp/*")
        }
        let work = directory.appending("work")
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let customized = try await Customizer().customizeTree(
            recipe: recipe, baseArchive: archive, baseIdentity: "busybox", workDirectory: work, leases: CacheLeases())
        let root = customized.root
        #expect(FileManager.default.contents(atPath: root + "/etc/\(marker)") == Data("inside\n".utf8))
        #expect(!FileManager.default.fileExists(atPath: "/etc/\(marker)"), "the planted link reached the host's /etc")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: root + "/srv/lab") == "/opt/lab")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: root + "/etc/localtime") == "/usr/share/zoneinfo/Europe/Paris")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: root + "/etc/systemd/system/multi-user.target.wants/lab.service")
            == "/usr/lib/systemd/system/lab.service")
        let mode = try FileManager.default.attributesOfItem(atPath: root + "/opt/lab")[.posixPermissions] as? Int
        #expect(mode == 0o750)
        // The script ran chrooted with the host's resolver configuration and /proc mounted; none of it stayed.
        let resolv = String(decoding: FileManager.default.contents(atPath: root + "/opt/lab/resolv") ?? Data(), as: UTF8.self)
        #expect(resolv.contains("nameserver"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: root + "/run").isEmpty)
        // The steps saw the stand-in (the disk's root UUID); the tree's own grub-probe is back.
        let uuid = String(decoding: FileManager.default.contents(atPath: root + "/opt/lab/uuid") ?? Data(), as: UTF8.self)
        #expect(uuid.trimmingCharacters(in: .whitespacesAndNewlines).count == 36, "\(uuid)")
        #expect(String(decoding: FileManager.default.contents(atPath: root + "/usr/sbin/grub-probe") ?? Data(), as: UTF8.self).contains("the tree's own"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: root + "/proc").isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: root + "/tmp").isEmpty)
        #expect(MountTable.mountPoints(under: root).isEmpty, "a mount outlived the step")
        #expect(customized.result.steps.map(\.number) == Array(1...7))
    }

    @Test("a failing script fails its step, named, with its output")
    func failingStep() async throws {
        let directory = try TemporaryDirectory()
        let archive = try await Self.busyboxArchive(in: directory)
        let recipe = Recipe(name: "tree-fails", sysprep: nil) {
            Run("echo before; echo broken >&2; exit 3")
        }
        let work = directory.appending("work")
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        do {
            _ = try await Customizer().customizeTree(recipe: recipe, baseArchive: archive, baseIdentity: "busybox", workDirectory: work, leases: CacheLeases())
            Issue.record("the failing step passed")
        } catch CustomizeError.stepFailed(let number, _, _, let failure) {
            #expect(number == 1)
            #expect(failure.status == 3)
            #expect(failure.outputTail.contains("broken"))
        }
    }
}
