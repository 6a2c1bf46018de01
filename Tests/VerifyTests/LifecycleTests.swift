// qemu's lifecycle without a guest OS: KVM→TCG fallback, stop, and no qemu left after Ctrl-C or a crash of labforge.
import Foundation
import Logging
import ProcessRunner
import Testing
import TestSupport
@testable import Verify

@Suite("qemu lifecycle", .serialized)
struct LifecycleTests {
    /// A disk holding only an ext4 file system: qemu starts and its firmware finds nothing to boot, which is all these
    /// tests need (a file system, because `verify` refuses a blank disk).
    private func emptyDisk(in scratch: TemporaryDirectory) async throws -> String {
        let raw = scratch.appending("empty.raw")
        let disk = scratch.appending("empty.qcow2")
        try await Command.check(["truncate", "-s", "64M", raw])
        try await Command.check(["mkfs.ext4", "-q", "-F", raw])
        try await Command.check(["qemu-img", "convert", "-q", "-f", "raw", "-O", "qcow2", raw, disk])
        try FileManager.default.removeItem(atPath: raw)
        return disk
    }

    @Test("boot picks a working accelerator, forwards ports, never writes the disk, and stop leaves no qemu", .bootsVM)
    func bootAndStop() async throws {
        let scratch = try TemporaryDirectory(prefix: "labforge-verify-vm")
        let disk = try await emptyDisk(in: scratch)
        let before = try Data(contentsOf: URL(fileURLWithPath: disk))
        let seed = try await NoCloudSeed.create(userName: "student", in: scratch.path)
        let machine = try QemuGuest.boot(
            disk: disk, diskFormat: "qcow2", seed: seed.isoPath, guestPorts: [22, 7681], in: scratch.path, cpus: 1, memoryMiB: 256,
            accelerator: nil, logger: Logger(label: "test"))
        let pid = machine.pid
        #expect(machine.isRunning)
        #expect(machine.hostPorts.keys.sorted() == [22, 7681])
        // On these machines /dev/kvm exists but qemu aborts under KVM: the fallback must have switched to TCG.
        print("lifecycle: running under \(machine.invocation.accelerator.rawValue)")
        #expect(RunningChildren.groups.contains(pid))
        let qmpStatus = try machine.qmp("query-status") as? [String: Any]
        #expect(qmpStatus?["status"] as? String == "running")
        // Nothing is there to answer the ACPI power button, so the stop escalates to QMP quit.
        let how = machine.stop(grace: 1)
        #expect(how == "quit")
        #expect(!machine.isRunning)
        #expect(!LabforgeRun.isAlive(pid))
        #expect(!RunningChildren.groups.contains(pid))
        #expect(try Data(contentsOf: URL(fileURLWithPath: disk)) == before)
    }

    @Test("Ctrl-C stops qemu and removes the scratch directory; a killed labforge takes qemu with it", .bootsVM)
    func interruptAndCrash() async throws {
        let scratch = try TemporaryDirectory(prefix: "labforge-verify-cli")
        let disk = try await emptyDisk(in: scratch)
        for signal in [SIGINT, SIGKILL] {
            let run = try LabforgeRun(
                ["verify", disk, "--probe", "guest-agent", "--accel", "tcg", "--memory", "256", "--cpus", "1", "--timeout", "120"],
                in: scratch.path)
            let qemu = try await run.waitForQemu(seconds: 60)
            #expect(qemu != nil, "labforge started no qemu: \(run.stderr)")
            let workDirectory = (qemu.map(LabforgeRun.command(of:)) ?? "").split(separator: " ")
                .first { $0.hasSuffix("/qemu.pid") }.map { String($0.dropLast("/qemu.pid".count)) }
            kill(run.process.processIdentifier, signal)
            await run.waitForExit()
            #expect(run.status == 128 + signal, "stderr: \(run.stderr)")
            #expect(run.survivors(after: 10).isEmpty, "qemu outlived labforge after signal \(signal)")
            if signal == SIGINT, let workDirectory {
                #expect(!FileManager.default.fileExists(atPath: workDirectory), "\(workDirectory) left behind")
            }
            if let workDirectory { try? FileManager.default.removeItem(atPath: workDirectory) }
        }
    }
}
