// The built debian-desktop disk booted by hand (plain qemu, a credentials ISO made by xorriso from the Secret that
// `labforge class` wrote) and checked by a Python client: nothing of labforge's verification code is involved.
import Foundation
import ProcessRunner
import Testing
import TestSupport

@Suite("independent check of the agents' authentication (TCG boot)", .serialized)
struct IndependentAgentCheckTests {
    @Test("booted with the class Secret's credentials: ttyd 401/401/shell, RFB offers VncAuth not None", .timeLimit(.minutes(60)), .bootsVM)
    func classCredentialsProtectTheAgents() async throws {
        let disk = try await SharedDisks.desktop()
        let scratch = try TemporaryDirectory(prefix: "labforge-independent")
        // 1. The teacher's command writes the student's Secret.
        let output = scratch.appending("class")
        let made = try await Command.labforge([
            "class", "registry.example.org/labs/debian-desktop:1.0@sha256:" + String(repeating: "a", count: 64), "--virtual-size", "\(10 << 30)",
            "--agent", "terminal", "--agent", "desktop:6080", "--namespace", "cs101", "--student", "alice=user:alice@example.org",
            "--output", output,
        ])
        #expect(made.status == 0, "\(made.stderr)")
        let secretYAML = "\(output)/students/alice/secret.yaml"
        let parsed = try await Command.check([
            "python3", "-c", "import json,sys,yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))['stringData']))", secretYAML,
        ])
        let values = try #require(try JSONSerialization.jsonObject(with: parsed.stdoutData) as? [String: String])
        let terminal = try #require(values["terminal-credential"]).split(separator: ":", maxSplits: 1).map(String.init)
        let vnc = try #require(values["desktop-password"])
        // 2. The Secret as KubeVirt hands it to the VM: an ISO9660 volume, one file per key, on a disk with serial labcreds.
        let files = scratch.appending("secret")
        try FileManager.default.createDirectory(atPath: files, withIntermediateDirectories: true)
        for (key, value) in values { try value.write(toFile: "\(files)/\(key)", atomically: true, encoding: .utf8) }
        let iso = scratch.appending("labcreds.iso")
        try await Command.check(["xorriso", "-as", "mkisofs", "-quiet", "-o", iso, "-V", "labcreds", "-J", "-R", files])
        // 3. Plain qemu on a throwaway overlay, agents forwarded to loopback, no network beyond.
        let overlay = scratch.appending("overlay.qcow2")
        try await Command.check(["qemu-img", "create", "-q", "-f", "qcow2", "-b", disk, "-F", "qcow2", overlay])
        let ports = try await [Self.freePort(), Self.freePort()]
        // The guest runs while the client checks it: one VM slot for both.
        let (check, started, qemuError) = try await VMSlots.hold {
            // Started through the process module's one launcher (its own thread lives as long as qemu, so the
            // pdeathsig that ends qemu with this process never fires because a pool thread retired); the guest and the
            // client below stay independent of labforge's verification code.
            let qemu = try LongLivedChild.launch([
                "qemu-system-x86_64", "-machine", "q35", "-accel", "tcg", "-m", "2048", "-smp", "2", "-display", "none",
                "-nodefaults", "-serial", "file:" + scratch.appending("console.log"),
                "-drive", "file=\(overlay),if=none,id=root,format=qcow2,cache=unsafe", "-device", "virtio-blk-pci,drive=root,bootindex=0",
                "-drive", "file=\(iso),if=none,id=creds,format=raw,readonly=on", "-device", "virtio-blk-pci,drive=creds,serial=labcreds",
                "-netdev", "user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:\(ports[0])-:7681,hostfwd=tcp:127.0.0.1:\(ports[1])-:6080",
                "-device", "virtio-net-pci,netdev=n0", "-device", "virtio-rng-pci",
            ], error: .capture, name: "qemu")
            defer { _ = qemu.kill(waitingUpTo: 10) }
            // 4. A client nobody here wrote the probe of: Python's urllib, a small RFC 6455 client, DES from `cryptography`.
            let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/check_agents.py").path
            let started = Date()
            let check = try await Command.run(["python3", script, String(ports[0]), String(ports[1]), terminal[0], terminal[1], vnc, "900"])
            return (check, started, qemu.isRunning ? "running" : "exited with \(qemu.exitStatus ?? -1): \(qemu.capturedError.suffix(2000))")
        }
        print("independent agent check after \(Int(Date().timeIntervalSince(started))) s: \(check.stdout)")
        #expect(check.status == 0, "stdout: \(check.stdout)\nstderr: \(check.stderr)\nconsole: \(((try? String(contentsOfFile: scratch.appending("console.log"), encoding: .utf8)) ?? "").suffix(2000))\nqemu: \(qemuError)")
        #expect(check.stdout.contains("\"terminalNoCredentials\": 401"))
        #expect(check.stdout.contains("\"types\": [2]"))
    }

    /// A loopback port nobody listens on now.
    static func freePort() async throws -> Int {
        let result = try await Command.check(["python3", "-c", "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])"])
        return Int(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines))!
    }
}
