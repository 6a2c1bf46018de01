// SIGTERM sent to a real `labforge base bootstrap` (the built binary, real mmdebstrap against the Debian mirror) in
// every phase — mmdebstrap's download, its chroot (dpkg of the Essential set, apt installing the rest, the hooks) and
// the disk assembly (mke2fs, qemu-img convert) — and SIGKILL of everything in the chroot phase: afterwards nothing is
// mounted under the run's directory on the host, the scratch is gone (after SIGKILL: still there, and safe to remove),
// and labforge says "stopped cleanly" only because it is true.
#if canImport(Glibc)
import Glibc
#endif
import Bases
import Foundation
import ProcessRunner
import Reporting
import Synchronization
import Testing
import TestSupport

@Suite("Interrupting labforge base bootstrap: no mount and no scratch left on the host", .serialized)
struct BootstrapInterruptionTests {
    /// One place to interrupt a bootstrap.
    struct Cut: Sendable, CustomTestStringConvertible {
        /// How the test knows the bootstrap has got there.
        enum Marker: Sendable {
            /// labforge's progress line for this mmdebstrap phase.
            case phase(MmdebstrapPhase)
            /// A process labforge started whose command line contains this (a disk tool).
            case process(String)
        }

        var marker: Marker
        var signal: Int32

        var testDescription: String {
            let name = signal == SIGKILL ? "SIGKILL" : signal == SIGINT ? "SIGINT" : "SIGTERM"
            switch marker {
            case .phase(let phase): return "\(name) during mmdebstrap's phase: \(phase.rawValue)"
            case .process(let text): return "\(name) while \(text) runs"
            }
        }
    }

    /// Every phase of a bootstrap, in order. The Essential set's dpkg, apt's install and the hooks run in the chroot,
    /// with /proc, /sys, /dev/pts and /dev/shm mounted in it: on main before this suite those mounts were left on the
    /// host, mounted under the scratch, and labforge said "stopped cleanly".
    static let cuts = [
        Cut(marker: .phase(.download), signal: SIGTERM),
        Cut(marker: .phase(.essential), signal: SIGTERM),
        Cut(marker: .phase(.install), signal: SIGTERM),
        Cut(marker: .phase(.customizeHook), signal: SIGTERM),
        Cut(marker: .process("mke2fs"), signal: SIGTERM),
        Cut(marker: .process("qemu-img convert"), signal: SIGTERM),
    ]

    // The limits guard against a hang; the wait for a VM slot counts toward them, and with the arm64 tests' emulated
    // guests beside it a case once waited past 10 minutes before its bootstrap reached the install phase.
    @Test("SIGTERM in each phase: exits 143 saying \"stopped cleanly\", no mount under its directory, no scratch, no partial base",
        .timeLimit(.minutes(25)), .bootsVM, arguments: cuts)
    func interruptedPhase(_ cut: Cut) async throws {
        try await VMSlots.hold { try await interrupt(cut) }
    }

    private func interrupt(_ cut: Cut) async throws {
        let run = try InterruptedRun()
        let watched = try WatchedBootstrap(run: run)
        defer { watched.tearDown() }
        try await watched.waitFor(cut.marker)
        try await run.interrupt(watched.build, with: cut.signal)
        let output = watched.lines
        // The phase was still running when the signal went out (a later phase's line came only after it, if at all).
        if case .phase(let phase) = cut.marker {
            #expect(watched.phaseAtSignal == phase, "the signal came in \(String(describing: watched.phaseAtSignal)), not \(phase.rawValue)")
        }
        #expect(watched.mountsUnderRun.isEmpty, "still mounted on the host: \(watched.mountsUnderRun)")
        #expect(output.last { $0.hasPrefix("labforge: interrupted") }?.hasSuffix("stopped cleanly") == true, "\(output.suffix(5))")
        #expect(run.files(under: run.cache).allSatisfy { !$0.contains("partial") && !$0.hasSuffix(".qcow2") }, "\(run.files(under: run.cache))")
    }

    @Test("SIGKILL of labforge and all it started in the chroot phase: nothing mounted on the host, the scratch left is safe to remove",
        .timeLimit(.minutes(25)), .bootsVM)
    func killedInChroot() async throws {
        try await VMSlots.hold { try await killInChroot() }
    }

    private func killInChroot() async throws {
        let run = try InterruptedRun()
        let watched = try WatchedBootstrap(run: run)
        defer { watched.tearDown() }
        try await watched.waitFor(.phase(.install))
        try await Task.sleep(for: .seconds(3))  // dpkg at work in the chroot, everything mounted there
        // What a deleted pod's container gets, or `kill -9` of the whole tree: nobody gets to clean up.
        #expect(await watched.build.waitForDescendant(containing: "mmdebstrap", seconds: 5))  // records its process group
        watched.build.killAll()
        let exited = await watched.build.waitForExit(seconds: 30)
        #expect(exited?.status == 128 + SIGKILL)
        var survivors = watched.build.survivors
        let deadline = Date().addingTimeInterval(10)
        while !survivors.isEmpty, Date() < deadline {
            try await Task.sleep(for: .milliseconds(200))
            survivors = watched.build.survivors
        }
        #expect(survivors.isEmpty, "still running: \(survivors)")
        #expect(watched.mountsUnderRun.isEmpty, "still mounted on the host: \(watched.mountsUnderRun)")
        // The scratch stays (no process was left to remove it) and can be removed as it is: nothing mounted in it.
        let scratch = run.files(under: run.temporary).filter { $0.hasPrefix("labforge-bootstrap-") && !$0.contains("/") }
        #expect(scratch.count == 1, "\(scratch)")
        for name in scratch {
            let left = ScratchRemoval.remove(run.temporary + "/" + name)
            #expect(left == nil, "\(String(describing: left))")
        }
        #expect(FileManager.default.fileExists(atPath: "/proc/self/status") && FileManager.default.fileExists(atPath: "/sys/kernel"))
    }
}

/// One `labforge base bootstrap` in an ``InterruptedRun``'s directories, its output kept line by line so a test can
/// wait for a phase, and anything it left mounted undone before the directory is deleted.
final class WatchedBootstrap: Sendable {
    let run: InterruptedRun
    let build: BackgroundLabforge
    private let output = LineBuffer()
    private let signalled = Mutex<MmdebstrapPhase?>(nil)

    /// Starts the bootstrap with an empty cache. `qemu-img convert` of the bootstrap's disk takes 0.2 s here, too
    /// short to interrupt on purpose: a `qemu-img` first in PATH runs the real one with `-r` (a rate limit), so the
    /// conversion is the real one, only slower.
    init(run: InterruptedRun) throws {
        self.run = run
        let bin = run.directory.appending("bin")
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        let qemuImg = try #require(ProgramPath.find("qemu-img"), "qemu-img is not installed")
        try ExecutableScript.write(
            """
            #!/bin/sh
            if [ "$1" = convert ]; then shift; exec '\(qemuImg)' convert -r 16M "$@"; fi
            exec '\(qemuImg)' "$@"
            """, to: bin + "/qemu-img")
        let lines = output
        build = BackgroundLabforge(
            ["base", "bootstrap", "--cache-dir", run.cache],
            environment: [
                "TMPDIR": run.temporary,
                "PATH": bin + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"),
            ],
            output: { lines.append($0) })
    }

    /// Every line labforge printed so far.
    var lines: [String] { output.all }

    /// The mmdebstrap phase the last progress line named when the signal went out.
    var phaseAtSignal: MmdebstrapPhase? { signalled.withLock { $0 } }

    /// The mmdebstrap phase of the last progress line.
    var currentPhase: MmdebstrapPhase? {
        for line in lines.reversed() {
            if line.contains(" bootstrap ") && (line.contains("step 1/3") || line.contains("step 2/3")) { return nil }
            if let phase = MmdebstrapPhase.allCases.first(where: { line.contains("mmdebstrap trixie: \($0.rawValue)") }) { return phase }
        }
        return nil
    }

    /// Waits until the bootstrap is at `marker` (polling every 20 ms: mmdebstrap's download lasts half a second here).
    func waitFor(_ marker: BootstrapInterruptionTests.Cut.Marker) async throws {
        let deadline = Date().addingTimeInterval(400)
        switch marker {
        case .phase(let phase):
            while currentPhase != phase, Date() < deadline, !build.hasExited { try await Task.sleep(for: .milliseconds(20)) }
            #expect(currentPhase == phase, "never saw mmdebstrap \(phase.rawValue): \(lines.suffix(5))")
        case .process(let text):
            #expect(await build.waitForDescendant(containing: text, seconds: 400), "\(text) never ran: \(lines.suffix(5))")
        }
        signalled.withLock { $0 = currentPhase }
    }

    /// Mount points on the host (this test's mount namespace) at or below the run's directory.
    var mountsUnderRun: [String] {
        let table = (try? String(contentsOfFile: "/proc/mounts", encoding: .utf8)) ?? ""
        return table.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            return fields.count > 1 && fields[1].hasPrefix(run.directory.path) ? String(fields[1]) : nil
        }
    }

    /// Ends what is left and undoes leftover mounts (deepest first), so that deleting the test's directory cannot
    /// walk into the host's /proc or /sys.
    func tearDown() {
        build.killAll()
        for point in mountsUnderRun.reversed() where umount2(point, Int32(MNT_DETACH)) != 0 {
            Issue.record("cannot unmount \(point) (errno \(errno)): remove \(run.directory.path) by hand once it is unmounted")
        }
    }
}

/// Lines appended from the output reader, read by the test.
final class LineBuffer: Sendable {
    private let lines = Mutex<[String]>([])

    func append(_ line: String) { lines.withLock { $0.append(line) } }

    var all: [String] { lines.withLock { $0 } }
}
