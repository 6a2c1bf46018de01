// Opens a disk the test makes, through the libguestfs C API, under KVM or (here) the TCG fallback.
import Foundation
import Guestfs
import Hypervisor
import Testing
import TestSupport

@Suite("libguestfs appliance", .serialized)
struct ApplianceTests {
    @Test("launch (KVM, else TCG), inspect, mount read-only, read a file, shut down", .bootsVM)
    func inspectsADiskTheTestMade() async throws {
        let dir = try TemporaryDirectory()
        let disk = dir.appending("debian.qcow2")
        try await GuestDiskFixture.makeDebianLikeDisk(at: disk, version: 13, extraFiles: ["/etc/motd": "hello from the fixture\n"])
        let before = try Data(contentsOf: URL(fileURLWithPath: disk))

        let appliance = try Appliance()
        try appliance.add(Drive(path: disk, format: .qcow2, readOnly: true))
        try await appliance.launchOffPool()
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

    @Test("a library error carries libguestfs' own message and the call", .bootsVM)
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

    @Test("a disk without an operating system is refused by name", .bootsVM)
    func emptyDiskHasNoOperatingSystem() async throws {
        let dir = try TemporaryDirectory()
        let disk = dir.appending("empty.qcow2")
        try await Command.check(["qemu-img", "create", "-q", "-f", "qcow2", disk, "64M"])
        let appliance = try Appliance()
        try appliance.add(Drive(path: disk, format: .qcow2, readOnly: true))
        try await appliance.launchOffPool()
        #expect(throws: GuestfsError.noOperatingSystem(disk: disk)) { try appliance.inspectOperatingSystem(diskName: disk) }
    }

    @Test("a KVM launch that hangs is stopped by the watchdog and retried once under TCG", .bootsVM)
    func hungKVMLaunchIsRetriedUnderTCG() async throws {
        let dir = try TemporaryDirectory()
        let disk = dir.appending("debian.qcow2")
        try await GuestDiskFixture.makeDebianLikeDisk(at: disk, version: 13, extraFiles: ["/etc/motd": "after the retry\n"])
        // Stands in for a KVM that hangs after the BIOS (a fault no machine shows on demand): qemu started with KVM
        // never answers; started under TCG (libguestfs' force_tcg gives `accel=tcg`) it is the real qemu.
        let wrapper = dir.appending("qemu-hangs-under-kvm")
        try """
            #!/bin/sh
            # Only a real boot hangs (libguestfs' feature queries such as `-device ?` also name accel=kvm:tcg).
            case " $* " in *accel=kvm*-kernel*) while :; do sleep 1; done ;; esac
            exec qemu-system-x86_64 "$@"
            """.write(toFile: wrapper, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: wrapper)
        let choice = AcceleratorChoice(decision: .init(accelerator: .kvm, reason: "test: as if the probe had passed", request: .auto), remembers: false)
        // A bystander: another child of this process with the same temp directory on its command line (as test
        // servers and parallel builds have). The watchdog must kill only the hung appliance.
        try Data().write(to: URL(fileURLWithPath: dir.appending("bystander")))
        let bystander = Process()
        bystander.executableURL = URL(fileURLWithPath: "/usr/bin/tail")
        bystander.arguments = ["-f", dir.appending("bystander")]
        try bystander.run()
        let bystanderPID = bystander.processIdentifier
        // Alive by /proc, not by Foundation's bookkeeping; killed without waiting for Foundation to reap it.
        func bystanderAlive() -> Bool {
            guard let stat = try? String(contentsOfFile: "/proc/\(bystanderPID)/stat", encoding: .utf8) else { return false }
            return !stat.contains(") Z ")
        }
        defer { kill(bystanderPID, SIGKILL) }
        let log = LogLines()
        let appliance = try Appliance(
            settings: ApplianceSettings(kvmLaunchTimeout: 10, hypervisor: wrapper), applianceOutput: { log.append($0) }, choice: choice)
        try appliance.add(Drive(path: disk, format: .qcow2, readOnly: true))
        let started = Date()
        try await appliance.launchOffPool()
        print("hung KVM launch retried under TCG: up after \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
        #expect(appliance.accelerator == .tcg)
        #expect(try choice.decide(logger: .init(label: "test")).accelerator == .tcg)
        #expect(log.text.contains("did not come up under it within 10 s; retrying under TCG"))
        let system = try appliance.inspectOperatingSystem(diskName: disk)
        try appliance.mountAll(system, readOnly: true)
        #expect(String(decoding: try appliance.readFile("/etc/motd"), as: UTF8.self) == "after the retry\n")
        try appliance.shutdown()
        #expect(bystanderAlive(), "the watchdog killed a process that was not the appliance")
        let left = try await Command.run(["pgrep", "-f", wrapper])
        #expect(left.stdout.isEmpty, "the hung qemu was left running: \(left.stdout)")
    }

    @Test("KVM failures are recognised from qemu's output, other failures are not", .bootsVM)
    func kvmFailureIsRecognised() {
        #expect(Accelerator.isKVMFailure("guestfs_launch failed\nqemu-system-x86_64: error: failed to set MSR 0x10a to 0x0"))
        #expect(!Accelerator.isKVMFailure("could not open disk: Permission denied\nsupermin: ext2fs error"))
    }
}

/// Collects what the appliance writes to its build log.
private final class LogLines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines = ""
    func append(_ text: String) { lock.withLock { lines += text } }
    var text: String { lock.withLock { lines } }
}
