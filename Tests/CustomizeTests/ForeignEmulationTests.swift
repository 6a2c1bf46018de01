// A foreign architecture's programs run under qemu-user with the CPU model labforge gives them: the variable reaches
// the tree's programs through the chroot (that qemu-user takes it: every arm64 step of MultiArchBuildTests and
// Arm64 customize runs under it).
@testable import Customize
import Foundation
import LabforgeRecipe
import Testing
import TestSupport

@Suite("qemu-user's CPU model for a foreign tree")
struct ForeignEmulationTests {
    @Test("arm64 programs get QEMU_CPU=max,pauth-impdef=on in the tree's shell; the host's tree gets nothing")
    func environmentReachesTheTree() async throws {
        #expect(Architecture.arm64.userEmulationEnvironment == ["QEMU_CPU": "max,pauth-impdef=on"])
        #expect(Architecture.amd64.userEmulationEnvironment.isEmpty)
        let directory = try TemporaryDirectory()
        let archive = try await HostRootTreeTests.busyboxArchive(in: directory)
        let root = directory.appending("root")
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        try await Command.check(["tar", "-xf", archive, "-C", root])
        // busybox is the host's: the variable is read back as the chrooted shell sees it (qemu-user reads it the same way).
        let foreign = try HostRootTree(root: root, foreignArchitecture: .arm64).shell("echo \"cpu=${QEMU_CPU:-unset}\"")
        #expect(foreign.trimmingCharacters(in: .whitespacesAndNewlines) == "cpu=max,pauth-impdef=on")
        let native = try HostRootTree(root: root).shell("echo \"cpu=${QEMU_CPU:-unset}\"")
        #expect(native.trimmingCharacters(in: .whitespacesAndNewlines) == "cpu=unset")
    }
}
