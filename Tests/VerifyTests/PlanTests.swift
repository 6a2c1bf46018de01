// Probe options, plans, the qemu command line, ttyd and RFB framing, ports and reports: pure logic.
import Foundation
import Hypervisor
import Testing
import TestSupport
@testable import Verify

@Suite("Probe plans and protocol framing")
struct PlanTests {
    @Test("--probe values parse with ttyd's and websockify's default ports")
    func parseProbes() throws {
        #expect(try ProbeTarget.parse("web-terminal") == .webTerminal(port: 7681, path: "ws"))
        #expect(try ProbeTarget.parse("web-terminal:8080/term/ws") == .webTerminal(port: 8080, path: "term/ws"))
        #expect(try ProbeTarget.parse("web-desktop") == .webDesktop(port: 6080, path: "vnc.html", websocketPath: "websockify"))
        #expect(try ProbeTarget.parse("web-desktop:6081") == .webDesktop(port: 6081))
        #expect(try ProbeTarget.parse("ssh") == .ssh)
        #expect(try ProbeTarget.parse("cloud-init") == .cloudInit)
        #expect(try ProbeTarget.parse("guest-agent") == .guestAgent)
        for bad in ["", "telnet", "ssh:22", "web-terminal:0", "web-terminal:x", "web-desktop:70000"] {
            #expect(throws: VerifyError.invalidProbe(bad)) { try ProbeTarget.parse(bad) }
        }
    }

    @Test("cloud-init: clean passes, an existing lab user is only a warning, other recoverable errors fail")
    func cloudInit() {
        let existing = "....\nstatus: done\nextended_status: degraded done\ndetail: DataSourceNoCloud [seed=/dev/vdb]\nerrors: []\nrecoverable_errors:\nWARNING:\n\t- User student already exists, skipping.\n"
        #expect(CloudInitStatus.judge(exitStatus: 0, output: "..status: done\nerrors: []\n") == .passed("status: done"))
        #expect(CloudInitStatus.judge(exitStatus: 2, output: existing) == .passed("status: done (warning: User student already exists, skipping)"))
        let other = existing.replacingOccurrences(of: "User student already exists, skipping.", with: "Failed to run module locale")
        #expect(CloudInitStatus.judge(exitStatus: 2, output: other) == .failed("cloud-init finished with errors (exit 2): status: done; Failed to run module locale"))
        if case .failed = CloudInitStatus.judge(exitStatus: 1, output: "status: error\n") {} else { Issue.record("exit 1 must fail") }
    }

    @Test("paths are requested with exactly one leading slash")
    func uris() {
        #expect(WebClient.uri("ws") == "/ws")
        #expect(WebClient.uri("/ws") == "/ws")
        #expect(WebClient.uri("") == "/")
        #expect(WebClient.uri("/term/ws") == "/term/ws")
    }

    @Test("a plan drops duplicates and forwards each guest port once")
    func plan() {
        let plan = ProbePlan(targets: [.webTerminal(port: 7681), .ssh, .cloudInit, .ssh, .webDesktop(port: 6080), .guestAgent])
        #expect(plan.targets.count == 5)
        #expect(plan.forwardedGuestPorts == [7681, 22, 6080])
        #expect(plan.needsSSH)
        #expect(!ProbePlan(targets: [.guestAgent]).needsSSH)
        #expect(ProbePlan(targets: [.guestAgent]).forwardedGuestPorts.isEmpty)
    }

    @Test("the qemu command line boots the overlay with seed, forwards, QMP and the guest agent port", .bootsVM)
    func qemuArguments() {
        let invocation = QemuInvocation(
            overlayPath: "/t/a,b/overlay.qcow2", seedPath: "/t/seed.iso", consolePath: "/t/console.log", qmpSocketPath: "/t/qmp.sock",
            guestAgentSocketPath: "/t/qga.sock", pidFilePath: "/t/qemu.pid", forwards: [(host: 40001, guest: 7681), (host: 40002, guest: 22)],
            accelerator: .tcg)
        let arguments = invocation.arguments
        let joined = arguments.joined(separator: " ")
        #expect(arguments.first == "qemu-system-x86_64")
        #expect(joined.contains("-accel tcg"))
        #expect(!joined.contains("-cpu host"))
        #expect(joined.contains("-m 2048 -smp 2"))
        #expect(joined.contains("-drive file=/t/a,,b/overlay.qcow2,if=none,id=root,format=qcow2"))
        #expect(joined.contains("-device virtio-blk-pci,drive=root,bootindex=0"))
        #expect(!joined.contains("labcreds"))
        #expect(joined.contains("-drive file=/t/seed.iso,if=virtio,format=raw,readonly=on"))
        #expect(joined.contains("-netdev user,id=net0,restrict=on,hostfwd=tcp:127.0.0.1:40001-:7681,hostfwd=tcp:127.0.0.1:40002-:22"))
        #expect(joined.contains("-qmp unix:/t/qmp.sock,server=on,wait=off"))
        #expect(joined.contains("-chardev socket,id=qga0,path=/t/qga.sock,server=on,wait=off"))
        #expect(joined.contains("-device virtserialport,chardev=qga0,name=org.qemu.guest_agent.0"))
        #expect(joined.contains("-serial file:/t/console.log"))
        // The credentials volume is a virtio disk with serial labcreds, as KubeVirt attaches a Secret; the disk under
        // test stays the boot disk.
        var withCredentials = invocation
        withCredentials.credentialsPath = "/t/credentials.iso"
        let credentialed = withCredentials.arguments.joined(separator: " ")
        #expect(credentialed.contains("-drive file=/t/credentials.iso,if=none,id=labcreds,format=raw,readonly=on -device virtio-blk-pci,drive=labcreds,serial=labcreds"))
        #expect(credentialed.contains("bootindex=0") && !credentialed.contains("drive=labcreds,serial=labcreds,bootindex"))
        var kvm = invocation
        kvm.accelerator = .kvm
        #expect(kvm.arguments.joined(separator: " ").contains("-accel kvm -cpu host"))
    }

    @Test("qemu's KVM abort on nested hosts is recognised; a disk error is not", .bootsVM)
    func kvmFailure() {
        #expect(Accelerator.isKVMFailure("qemu-system-x86_64: error: failed to set MSR 0x10a to 0x0\nqemu: kvm.c:2979: kvm_buf_set_msrs: Assertion failed"))
        #expect(Accelerator.isKVMFailure("Could not access KVM kernel module: No such file or directory"))
        #expect(!Accelerator.isKVMFailure("qemu-system-x86_64: -drive file=x: Could not open 'x': No such file or directory"))
    }

    @Test("ttyd messages: JSON init, typed input, output/title/preferences decoding")
    func ttyd() {
        #expect(String(decoding: TtydProtocol.initialMessage(), as: UTF8.self) == #"{"AuthToken":"","columns":80,"rows":24}"#)
        #expect(TtydProtocol.input("ls\r") == Array("0ls\r".utf8))
        #expect(TtydProtocol.decode(Array("0hello".utf8)) == .output(Array("hello".utf8)))
        #expect(TtydProtocol.decode(Array("1/bin/bash --login (lab)".utf8)) == .title("/bin/bash --login (lab)"))
        #expect(TtydProtocol.decode(Array("2{ }".utf8)) == .preferences("{ }"))
        #expect(TtydProtocol.decode([]) == .unknown([]))
        // The typed command never contains its own answer, so an echo of the input cannot pass the probe.
        #expect(!TtydProtocol.probeCommand.contains(TtydProtocol.probeAnswer))
    }

    @Test("RFB banners: 3.3, 3.7, 3.8 accepted; anything else refused")
    func rfb() {
        #expect(RFBBanner(Array("RFB 003.008\n".utf8)) == RFBBanner(Array("RFB 003.008\nxx".utf8)))
        #expect(RFBBanner(Array("RFB 003.008\n".utf8))?.minor == 8)
        #expect(RFBBanner(Array("RFB 003.003\n".utf8))?.text == "RFB 003.003")
        #expect(RFBBanner(Array("RFB 003.00".utf8)) == nil)
        #expect(RFBBanner(Array("HTTP/1.1 400".utf8)) == nil)
        #expect(RFBBanner(Array("RFB 3.8.....\n".utf8)) == nil)
    }

    @Test("free loopback ports are distinct and bindable")
    func ports() throws {
        let ports = try LoopbackPorts.free(4)
        #expect(Set(ports).count == 4)
        #expect(ports.allSatisfy { $0 > 1024 })
    }

    @Test("the report names failed probes in its table and round-trips as JSON")
    func report() throws {
        let report = VerificationReport(
            disk: "lab.qcow2", accelerator: "tcg",
            results: [
                ProbeResult(probe: "ssh", passed: true, seconds: 41.2, attempts: 9, detail: "SSH-2.0-OpenSSH_10.0"),
                ProbeResult(probe: "web-terminal", passed: false, seconds: 120, attempts: 50, detail: "connection refused"),
            ], passed: false, seconds: 130, stoppedBy: "powerdown", consoleLog: nil, consoleTail: "login:", finishedAt: "2026-11-25T23:00:00Z")
        #expect(report.failedProbes == ["web-terminal"])
        #expect(report.table.contains("web-terminal  FAILED"))
        #expect(report.table.contains("NOT verified (failed: web-terminal)"))
        let decoded = try JSONDecoder().decode(VerificationReport.self, from: report.json())
        #expect(decoded == report)
        let error = VerifyError.probesFailed(failed: report.failedProbes, report: report)
        #expect(error.description.contains("probe(s) web-terminal did not pass"))
    }
}
