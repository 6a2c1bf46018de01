// `labforge accelerator` as a user on a machine whose KVM is unusable would run it: real binary, real namespaces.
import Foundation
import Testing
import TestSupport

/// The decision `labforge accelerator --json` prints.
private struct Decision: Decodable {
    var accelerator: String
    var request: String
    var reason: String
    var seconds: Double
}

private let isRoot = getuid() == 0

@Suite("labforge accelerator")
struct AcceleratorCommandTests {
    /// Runs labforge in a private mount namespace where `/dev/kvm` is `/dev/null`, as the brief's workaround does.
    func runWithFakeKVMDevice(_ arguments: [String], path: String? = nil) async throws -> CommandResult {
        let pathPrefix = path.map { "PATH=\($0):$PATH " } ?? ""
        let script = "mount --bind /dev/null /dev/kvm && \(pathPrefix)exec \"$0\" \"$@\""
        return try await Command.run(["unshare", "-m", "sh", "-c", script, Command.labforgeBinary] + arguments)
    }

    @Test("a /dev/kvm that is not a KVM device: TCG, said in one line, in under a second", .enabled(if: isRoot && FileManager.default.fileExists(atPath: "/dev/kvm")))
    func fakeDevice() async throws {
        let result = try await runWithFakeKVMDevice(["accelerator", "--fresh", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let decision = try JSONDecoder().decode(Decision.self, from: result.stdoutData)
        #expect(decision.accelerator == "tcg")
        // The device check answered: no test guest was started.
        #expect(decision.reason.hasPrefix("/dev/kvm is not a KVM device"))
    }

    @Test("a qemu on PATH that hangs under KVM: TCG within the 5 s limit; `build --accel` is refused when misspelled", .bootsVM)
    func hangingQemuOnPath() async throws {
        let dir = try TemporaryDirectory()
        _ = try KVMProbeTests.hangingQemu(in: dir)
        let result = try await Command.labforge(["accelerator", "--fresh"], environment: ["PATH": dir.path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "")])
        #expect(result.status == 0, "\(result.stderr)")
        // Where /dev/kvm is usable the fake qemu is what hangs; elsewhere the device itself already says no.
        #expect(result.stdout.hasPrefix("tcg: "))
        // The probe gives up after its 5 s limit (the message below says so); one without the limit would never
        // return, which the test's time limit catches.
        if FileManager.default.fileExists(atPath: "/dev/kvm"), !result.stdout.contains("not accessible") {
            #expect(result.stdout.contains("KVM present but a test guest did not boot within 5 s") || result.stdout.contains("not a KVM device"))
        }
        let refused = try await Command.labforge(["build", "--accel", "fast", "--no-verify", "debian-terminal"])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("fast"))
    }

    @Test("LABFORGE_ACCEL=tcg decides without probing")
    func environmentRequest() async throws {
        let result = try await Command.labforge(["accelerator"], environment: ["LABFORGE_ACCEL": "tcg"])
        #expect(result.status == 0)
        #expect(result.stdout.hasPrefix("tcg: asked for"))
        let bad = try await Command.labforge(["accelerator"], environment: ["LABFORGE_ACCEL": "fast"])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("LABFORGE_ACCEL=fast"))
    }
}
