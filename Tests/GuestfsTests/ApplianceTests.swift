// Opens a disk the test makes, through the libguestfs C API, under KVM or (here) the TCG fallback.
import Foundation
import Guestfs
import Testing
import TestSupport

@Suite("libguestfs appliance", .serialized)
struct ApplianceTests {
    @Test("launch (KVM, else TCG), inspect, mount read-only, read a file, shut down")
    func inspectsADiskTheTestMade() throws {
        let dir = try TemporaryDirectory()
        let disk = dir.appending("debian.qcow2")
        try GuestDiskFixture.makeDebianLikeDisk(at: disk, version: 13, extraFiles: ["/etc/motd": "hello from the fixture\n"])
        let before = try Data(contentsOf: URL(fileURLWithPath: disk))

        let appliance = try Appliance()
        try appliance.add(Drive(path: disk, format: .qcow2, readOnly: true))
        try appliance.launch()
        let system = try appliance.inspectOperatingSystem(diskName: disk)
        #expect(system.type == "linux")
        #expect(system.distro == "debian")
        #expect(system.majorVersion == 13)
        #expect(system.arch == "x86_64")
        #expect(system.packageManagement == "apt")
        #expect(system.mountpoints.map(\.path) == ["/"])
        try appliance.mountAll(system, readOnly: true)
        let motd = try appliance.readFile("/etc/motd")
        #expect(String(decoding: motd, as: UTF8.self) == "hello from the fixture\n")
        #expect(throws: GuestfsError.self) { try appliance.readFile("/etc/does-not-exist") }
        try appliance.shutdown()

        // Read-only means read-only: the disk file is byte-identical afterwards.
        #expect(try Data(contentsOf: URL(fileURLWithPath: disk)) == before)
    }

    @Test("a library error carries libguestfs' own message and the call")
    func errorsCarryTheLibraryMessage() throws {
        let appliance = try Appliance()
        do {
            try appliance.add(Drive(path: "/nonexistent/disk.qcow2", format: .qcow2, readOnly: true))
            Issue.record("adding a missing drive should fail")
        } catch GuestfsError.call(let function, let message, _) {
            #expect(function.contains("/nonexistent/disk.qcow2"))
            #expect(message.contains("No such file") || message.contains("nonexistent"))
        }
    }

    @Test("a disk without an operating system is refused by name")
    func emptyDiskHasNoOperatingSystem() throws {
        let dir = try TemporaryDirectory()
        let disk = dir.appending("empty.qcow2")
        try Command.check(["qemu-img", "create", "-q", "-f", "qcow2", disk, "64M"])
        let appliance = try Appliance()
        try appliance.add(Drive(path: disk, format: .qcow2, readOnly: true))
        try appliance.launch()
        #expect(throws: GuestfsError.noOperatingSystem(disk: disk)) { try appliance.inspectOperatingSystem(diskName: disk) }
    }

    @Test("KVM failures are recognised from qemu's output, other failures are not")
    func recognisesKVMFailure() {
        #expect(Accelerator.isKVMFailureForTesting(message: "guestfs_launch failed", output: "qemu-system-x86_64: error: failed to set MSR 0x10a to 0x0"))
        #expect(!Accelerator.isKVMFailureForTesting(message: "could not open disk: Permission denied", output: "supermin: ext2fs error"))
    }
}
