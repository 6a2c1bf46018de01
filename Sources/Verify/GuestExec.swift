// Shell scripts run as root in the guest over the QEMU guest agent (`guest-exec`, then `guest-exec-status` until it
// exits), and the seam the lab proofs run them through.
import Foundation

/// A finished command: its exit status and what it printed.
struct GuestCommandOutput: Sendable, Equatable {
    /// The exit status; 128 + the signal number when a signal ended it (as a shell reports it).
    var status: Int32
    /// Its standard output.
    var stdout: Data
    /// Its standard error.
    var stderr: Data

    /// Standard output as text.
    var stdoutText: String { String(decoding: stdout, as: UTF8.self) }

    /// The last `count` characters of standard output and error, on one line, for a failure detail.
    /// - Parameter count: How many characters to keep.
    /// - Returns: The tail, or `no output`.
    func tail(_ count: Int = 240) -> String {
        let text = (String(decoding: stdout, as: UTF8.self) + String(decoding: stderr, as: UTF8.self))
            .split(whereSeparator: \.isNewline).joined(separator: " / ").trimmingCharacters(in: .whitespaces)
        if text.isEmpty { return "no output" }
        return text.count > count ? "…" + text.suffix(count) : text
    }
}

/// Runs a shell script as root where the lab runs: in the VM over its guest agent (``GuestAgentCommandRunner``); a
/// test runs the same scripts on the host against a scratch root (`LAB_ROOT`).
protocol GuestCommandRunner: Sendable {
    /// Runs `/bin/sh -c script` as root and waits for it.
    /// - Parameters:
    ///   - script: The script.
    ///   - timeout: Seconds it may run.
    /// - Returns: Its exit status and output.
    /// - Throws: ``SocketFailure`` while the guest agent does not answer (worth retrying); ``ProbeFailure`` when the
    ///   script did not finish in time.
    func run(_ script: String, timeout: Double) async throws -> GuestCommandOutput
}

/// The answer of `guest-exec-status` (qemu-ga's `GuestExecStatus`): `exited`, then `exitcode` or `signal`, and with
/// `capture-output` the output in base64 (`out-data`, `err-data`, `out-truncated`, `err-truncated`).
struct GuestExecStatus: Sendable, Equatable {
    /// Whether the process has ended.
    var exited: Bool
    /// Its exit code, when it exited normally.
    var exitCode: Int32?
    /// The signal that ended it, if one did.
    var signal: Int32?
    /// Its standard output (decoded).
    var stdout: Data
    /// Its standard error (decoded).
    var stderr: Data
    /// Whether the agent cut either output short (qemu-ga keeps 16 MiB).
    var truncated: Bool

    /// Decodes a `guest-exec-status` return value.
    /// - Parameter value: The `return` object of the answer.
    /// - Throws: ``SocketFailure`` when it is not a `GuestExecStatus` or its output is not base64.
    init(decoding value: Any) throws {
        guard let object = value as? [String: Any], let exited = object["exited"] as? Bool else {
            throw SocketFailure("guest-exec-status answered \(value), not a GuestExecStatus")
        }
        func data(_ key: String) throws -> Data {
            guard let text = object[key] else { return Data() }
            guard let encoded = text as? String, let decoded = Data(base64Encoded: encoded) else {
                throw SocketFailure("guest-exec-status's \(key) is not base64")
            }
            return decoded
        }
        self.exited = exited
        exitCode = (object["exitcode"] as? Int).map(Int32.init)
        signal = (object["signal"] as? Int).map(Int32.init)
        stdout = try data("out-data")
        stderr = try data("err-data")
        truncated = object["out-truncated"] as? Bool == true || object["err-truncated"] as? Bool == true
    }

    /// The command's outcome, once it has exited.
    var output: GuestCommandOutput? {
        guard exited else { return nil }
        return GuestCommandOutput(status: exitCode ?? (128 + (signal ?? 0)), stdout: stdout, stderr: stderr)
    }
}

/// `guest-exec` of `/bin/sh -c` through qemu-guest-agent's socket, as root (the agent's user). Each exchange is a short
/// connection of its own, synced first, so the other probes' agent calls interleave with a long-running script.
struct GuestAgentCommandRunner: GuestCommandRunner {
    /// The guest agent's socket.
    let socketPath: String

    /// Pause between two `guest-exec-status` calls.
    static let statusPause = 0.3

    func run(_ script: String, timeout: Double) async throws -> GuestCommandOutput {
        let socketPath = self.socketPath
        let started = try await ProbeAttempts.blocking {
            let socket = try ProbeAttempts.syncedGuestAgent(socketPath, until: Date().addingTimeInterval(10))
            let answer = try socket.execute(
                "guest-exec", arguments: ["path": "/bin/sh", "arg": ["-c", script], "capture-output": true], until: Date().addingTimeInterval(10))
            guard let pid = (answer as? [String: Any])?["pid"] as? Int else { throw SocketFailure("guest-exec answered \(answer), not a pid") }
            return pid
        }
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let status = try await ProbeAttempts.blocking {
                let socket = try ProbeAttempts.syncedGuestAgent(socketPath, until: Date().addingTimeInterval(10))
                return try GuestExecStatus(decoding: socket.execute("guest-exec-status", arguments: ["pid": started], until: Date().addingTimeInterval(10)))
            }
            if let output = status.output { return output }
            guard Date() < deadline else {
                throw ProbeFailure("`sh -c \(Self.summary(script))` in the guest did not finish within \(Int(timeout)) s (guest-exec pid \(started))")
            }
            try await Task.sleep(for: .milliseconds(Int(Self.statusPause * 1000)))
        }
    }

    /// The script's first line, shortened, for messages.
    static func summary(_ script: String) -> String {
        let first = script.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        return (first.count > 60 ? first.prefix(60) + "…" : first).debugDescription
    }
}
