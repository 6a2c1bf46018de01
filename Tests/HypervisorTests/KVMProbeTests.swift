// The KVM probe's decision where KVM is unusable (simulated), where it is refused, and on this machine as it is.
import Foundation
import Hypervisor
import Logging
import Testing
import TestSupport

/// Whether `/dev/kvm` answers KVM's API version here (the hang simulation needs a real device in front of the fake qemu).
private let kvmDeviceAnswers = KVMProbe(device: "/dev/kvm", qemu: "/bin/false", kernel: "/dev/null", timeout: 1).run().reason.contains("qemu failed")

@Suite("KVM probe and accelerator choice")
struct KVMProbeTests {
    /// A `qemu-system-x86_64` that never exits and never prints: what a KVM that hangs after the BIOS looks like
    /// from outside. A fault no machine here can be made to show on demand, hence the stand-in.
    static func hangingQemu(in dir: TemporaryDirectory) throws -> String {
        let path = dir.appending("qemu-system-x86_64")
        try ExecutableScript.write("#!/bin/sh\nexec sleep 100000\n", to: path)
        return path
    }

    @Test("a device that is not KVM means TCG at once, naming the device")
    func notAKVMDevice() {
        let outcome = KVMProbe(device: "/dev/null").run()
        #expect(outcome.accelerator == .tcg)
        #expect(outcome.reason.contains("/dev/null is not a KVM device"))
    }

    @Test("a missing device means TCG at once")
    func missingDevice() {
        let outcome = KVMProbe(device: "/nonexistent/kvm").run()
        #expect(outcome.accelerator == .tcg)
        #expect(outcome.reason.contains("does not exist"))
    }

    @Test("a guest that hangs under KVM means TCG within the probe's time limit, and qemu is gone", .enabled(if: kvmDeviceAnswers), .bootsVM)
    func hangingGuest() async throws {
        let dir = try TemporaryDirectory()
        let qemu = try Self.hangingQemu(in: dir)
        let outcome = KVMProbe(qemu: qemu, kernel: "/dev/null", timeout: 3).run()
        #expect(outcome.accelerator == .tcg)
        // The probe's own limit ended it (a probe without one would never return; the test's time limit catches that).
        #expect(outcome.reason == "KVM present but a test guest did not boot within 3 s")
        let left = try await Command.run(["pgrep", "-f", qemu])
        #expect(left.stdout.isEmpty, "the hung qemu was left running: \(left.stdout)")
    }

    @Test("qemu that aborts under KVM means TCG with its first error line", .enabled(if: kvmDeviceAnswers), .bootsVM)
    func abortingQemu() throws {
        let dir = try TemporaryDirectory()
        let qemu = dir.appending("qemu-system-x86_64")
        try ExecutableScript.write("#!/bin/sh\necho 'qemu-system-x86_64: error: failed to set MSR 0x10a to 0x0' >&2\nexit 1\n", to: qemu)
        let outcome = KVMProbe(qemu: qemu, kernel: "/dev/null").run()
        #expect(outcome.accelerator == .tcg)
        // qemu's own first error line, not the probe's time limit: the abort was read, not waited out.
        #expect(outcome.reason.contains("failed to set MSR 0x10a"))
    }

    @Test("on this machine as it is: a verdict, with its reason when it is TCG")
    func realProbe() {
        let outcome = KVMProbe().run()
        print("KVM probe here: \(outcome.accelerator.rawValue) in \(String(format: "%.2f", outcome.seconds)) s — \(outcome.reason)")
        #expect(outcome.accelerator == .kvm || !outcome.reason.isEmpty)
    }

    @Test("--accel tcg and kvm decide without probing; auto probes once and keeps the verdict", .bootsVM)
    func choiceFollowsTheRequest() throws {
        let dir = try TemporaryDirectory()
        let qemu = try Self.hangingQemu(in: dir)
        let logger = Logger(label: "test")
        let tcg = AcceleratorChoice(probe: KVMProbe(qemu: qemu, timeout: 30), remembers: false)
        tcg.request(.tcg)
        let started = Date()
        #expect(try tcg.decide(logger: logger).accelerator == .tcg)
        let kvm = AcceleratorChoice(probe: KVMProbe(qemu: qemu, timeout: 30), remembers: false)
        kvm.request(.kvm)
        #expect(try kvm.decide(logger: logger).accelerator == .kvm)
        #expect(Date().timeIntervalSince(started) < 1, "no probe ran")
        // Explicit KVM has no fallback: a failure is the user's to see.
        #expect(throws: HypervisorError.self) { try kvm.kvmFailed("test", logger: logger) }

        let auto = AcceleratorChoice(probe: KVMProbe(device: "/dev/null"), remembers: false)
        auto.request(.auto)
        let first = try auto.decide(logger: logger)
        #expect(first.accelerator == .tcg)
        #expect(try auto.decide(logger: logger) == first)
    }

    @Test("a KVM decision that fails later turns into TCG under auto")
    func fallbackAfterAFailedLaunch() throws {
        let choice = AcceleratorChoice(decision: .init(accelerator: .kvm, reason: "assumed", request: .auto), remembers: false)
        try choice.kvmFailed("the appliance did not come up", logger: Logger(label: "test"))
        let decision = try choice.decide(logger: Logger(label: "test"))
        #expect(decision.accelerator == .tcg)
        #expect(decision.reason == "the appliance did not come up")
    }

    @Test("LABFORGE_ACCEL is read, checked, and force_tcg counts as a TCG request")
    func environment() throws {
        #expect(try AcceleratorRequest.fromEnvironment([:]) == .auto)
        #expect(try AcceleratorRequest.fromEnvironment(["LABFORGE_ACCEL": "TCG"]) == .tcg)
        #expect(try AcceleratorRequest.fromEnvironment(["LIBGUESTFS_BACKEND_SETTINGS": "force_tcg"]) == .tcg)
        #expect(throws: HypervisorError.invalidRequest(value: "fast", source: "LABFORGE_ACCEL")) {
            try AcceleratorRequest.fromEnvironment(["LABFORGE_ACCEL": "fast"])
        }
    }

    @Test("KVM failures are recognised from qemu's output, other failures are not", .bootsVM)
    func kvmFailureText() {
        #expect(Accelerator.isKVMFailure("qemu-system-x86_64: error: failed to set MSR 0x10a to 0x0\nqemu: kvm.c:2979: kvm_buf_set_msrs: Assertion failed"))
        #expect(Accelerator.isKVMFailure("Could not access KVM kernel module: No such file or directory"))
        #expect(!Accelerator.isKVMFailure("qemu-system-x86_64: -drive file=x: Could not open 'x': No such file or directory"))
    }
}
