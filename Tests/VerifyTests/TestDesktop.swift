// A real VNC desktop on the host for the desktop proofs: Xtigervnc (VNC authentication) behind websockify, an X
// client drawing on it if asked, and a shell of the host as the "shell in the session".
import Foundation
import ProcessRunner
import TestSupport
@testable import Verify

/// `name` from PATH.
func hostTool(_ name: String) -> String? {
    for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
        let candidate = "\(directory)/\(name)"
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    return nil
}

/// Xtigervnc on a free display and port with websockify in front of it.
struct TestDesktop {
    /// Whether the tools are installed (`make deps`).
    static let available = ["Xtigervnc", "tigervncpasswd", "websockify", "xclip", "xlogo"].allSatisfy { hostTool($0) != nil }

    let scratch: TemporaryDirectory
    /// websockify's port.
    let webPort: Int
    /// The X display number.
    let display: Int
    /// The VNC password.
    let password: String
    private let processes: [LongLivedChild]

    /// Starts the desktop.
    /// - Parameters:
    ///   - geometry: The screen size.
    ///   - drawing: Whether xlogo fills the screen (else the root window stays one colour).
    ///   - extraArguments: More Xtigervnc options (`-AcceptSetDesktopSize=0`).
    init(geometry: String = "1280x800", drawing: Bool = true, extraArguments: [String] = []) async throws {
        scratch = try TemporaryDirectory(prefix: "labforge-desktop-proof")
        password = TestCredentials.generate(user: "student").desktopPassword
        let passwordFile = scratch.appending("passwd")
        try await Command.check(["tigervncpasswd", "-f"], input: Data((password + "\n").utf8)).stdoutData.write(to: URL(fileURLWithPath: passwordFile))
        let ports = try LoopbackPorts.free(2)
        webPort = ports[0]
        // A display number nobody uses: the X socket must be free, the RFB port is given explicitly.
        display = try Self.freeDisplay(in: 100..<200)
        var started = [
            try Self.start("Xtigervnc", [
                ":\(display)", "-geometry", geometry, "-depth", "24", "-SecurityTypes", "VncAuth", "-PasswordFile", passwordFile,
                "-localhost", "-rfbport", String(ports[1]), "-desktop", "lab",
            ] + extraArguments)
        ]
        do {
            started.append(try Self.start("websockify", ["127.0.0.1:\(ports[0])", "127.0.0.1:\(ports[1])"]))
            // Xtigervnc listens for RFB once X is up; a loaded 2-core machine (CI, VMs under TCG beside) takes a while.
            let serverUp = Date().addingTimeInterval(120)
            while !Self.accepts(port: ports[1]) {
                guard Date() < serverUp, started[0].isRunning else {
                    throw ProbeFailure("Xtigervnc :\(display) did not listen on \(ports[1]) within 120 s (running: \(started[0].isRunning))")
                }
                try await Task.sleep(for: .milliseconds(100))
            }
            if drawing {
                // An X client that finds the server not ready exits: started again until it stays.
                let xlogo = ["-display", ":\(display)", "-geometry", "\(geometry)+0+0"]
                var client = try Self.start("xlogo", xlogo)
                for _ in 0..<20 {
                    try await Task.sleep(for: .seconds(1))
                    if client.isRunning { break }
                    client = try Self.start("xlogo", xlogo)
                }
                started.append(client)
            }
        } catch {
            Self.end(started, display: display)
            throw error
        }
        processes = started
    }

    /// Starts one of the desktop's programs with the project's launcher for long-lived children: it leads a process
    /// group of its own, so ``end(_:display:)`` also ends what it forked (websockify forks a handler per
    /// connection), and its end is awaited with a limit.
    static func start(_ program: String, _ arguments: [String]) throws -> LongLivedChild {
        try LongLivedChild.launch([program] + arguments, name: "test-desktop")
    }

    /// Whether something accepts TCP connections on 127.0.0.1:`port`.
    static func accepts(port: Int) -> Bool {
        guard let descriptor = LoopbackPorts.connect(to: port) else { return false }
        close(descriptor)
        return true
    }

    /// Ends the clients, websockify (with its handlers) and the X server; the display's lock and socket are removed.
    func stop() {
        Self.end(processes, display: display)
    }

    /// A display number in `range` nobody uses (no X socket, no lock file); the RFB port is always given explicitly.
    /// - Throws: ``ProbeFailure`` when every one is taken.
    static func freeDisplay(in range: Range<Int>) throws -> Int {
        guard let free = range.shuffled().first(where: {
            !FileManager.default.fileExists(atPath: "/tmp/.X11-unix/X\($0)") && !FileManager.default.fileExists(atPath: "/tmp/.X\($0)-lock")
        }) else { throw ProbeFailure("no free X display in :\(range.lowerBound)-:\(range.upperBound - 1) (remove stale /tmp/.X*-lock files)") }
        return free
    }

    /// Ends `processes`' process groups with SIGKILL, all of them before waiting for any, and waits for each at most
    /// 10 s; then removes the lock file and socket the killed X server left (before, every run left both, and once
    /// all displays of the range were taken every test failed at once). Whole groups and a bounded wait: websockify
    /// killed alone and waited for with Foundation's `waitUntilExit` kept that call from returning while a handler
    /// it forked still ran (the handler holds the descriptor Foundation watches for the end; seen here with one
    /// connection left open), and a handler lives as long as its connection to the X server, which was ended after.
    /// A hang that no time limit could end, being synchronous.
    static func end(_ processes: [LongLivedChild], display: Int) {
        for process in processes { process.signalGroup(SIGKILL) }
        for process in processes where !process.waitForExit(seconds: 10) {
            print("test desktop :\(display): \(process.program) (pid \(process.pid)) has not ended 10 s after SIGKILL")
        }
        for leftover in ["/tmp/.X\(display)-lock", "/tmp/.X11-unix/X\(display)"] { try? FileManager.default.removeItem(atPath: leftover) }
    }

    /// The clipboard proof against this desktop, its X side in a host shell unless `shells` is nil.
    func clipboard(enabled: Bool, shells: (any SessionShellOpener)? = HostShells()) async throws -> String {
        try await ProbeAttempts.clipboard(
            hostPort: webPort, websocketPath: "websockify", password: password, display: display, enabled: enabled, shells: shells)
    }

    /// One attempt that is expected to fail, bounded to 60 s (an attempt over RFB that never ends would hold the
    /// suite until its time limit); the caller checks the failure's words, so a timeout does not pass for it.
    func once<T: Sendable>(_ attempt: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withTimeout(60, "attempt took longer than 60 s") { try await attempt() }
    }

    /// `attempt`, retried while the session starts (up to two minutes), each attempt bounded to 30 s as verify's are;
    /// a ``FinalFailure`` ends it at once.
    func retrying<T: Sendable>(_ attempt: @escaping @Sendable () async throws -> T) async throws -> T {
        var lastError: Error = ProbeFailure("not tried")
        let deadline = Date().addingTimeInterval(120)
        repeat {
            do {
                return try await withTimeout(30, "attempt took longer than 30 s") { try await attempt() }
            } catch let error as FinalFailure {
                throw error
            } catch {
                lastError = error
                try await Task.sleep(for: .milliseconds(300))
            }
        } while Date() < deadline
        throw lastError
    }
}

/// The test's shell in the session: `sh` on the host next to the test's X server (the VM's is ttyd's shell; this
/// is the seam the proofs take, not a stand-in for RFB or X).
struct HostShells: SessionShellOpener {
    func withShell<T: Sendable>(_ body: (any SessionShell) async throws -> T) async throws -> T {
        try await body(HostShell())
    }
}

/// One `sh -c` per command, output as the shell's command substitution gives it (trailing newlines dropped). It runs
/// in a session of its own (`setsid -w`), as a login shell's commands do: a background program a command leaves (the
/// clipboard proof's xclip) outlives the command until the proof ends it, where the process runner would end the
/// rest of the command's process group. The process runner also gives the child no descriptor but its three
/// (Foundation's Process leaks one, and a background xclip holding it kept `waitUntilExit` from returning).
struct HostShell: SessionShell {
    func run(_ command: String) async throws -> ShellOutput {
        let result = try await HostCommand.run(["setsid", "-w", "sh", "-c", "{ \(command); } 2>&1"], timeout: 60, package: "util-linux")
        var text = result.stdoutText
        while text.hasSuffix("\n") { text.removeLast() }
        return ShellOutput(status: result.status, text: text)
    }
}
