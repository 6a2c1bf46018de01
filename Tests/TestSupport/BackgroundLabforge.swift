// Runs the labforge binary in the background, watches the processes it starts, and signals it: for the
// interruption tests, which must prove that nothing it started outlives it.
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import ProcessRunner
import Synchronization

/// One `labforge …` process started through the process runner, with its descendants sampled from /proc.
public final class BackgroundLabforge: Sendable {
    private struct State {
        var pid: pid_t?
        var result: Result<ChildProcessResult, any Error>?
        /// Every descendant seen while labforge ran: PID → (process group, command line).
        var descendants: [pid_t: (group: pid_t, command: String)] = [:]
    }

    private let state = Mutex(State())

    /// Starts `labforge arguments…`.
    /// - Parameters:
    ///   - arguments: Its arguments.
    ///   - environment: Extra environment (set `TMPDIR` to a test directory to scope its scratch).
    ///   - output: Receives its output (progress lines included) line by line as it comes.
    public init(_ arguments: [String], environment: [String: String] = [:], output: (@Sendable (String) -> Void)? = nil) {
        var process = ChildProcess([Command.labforgeBinary] + arguments, environment: environment, captureLimit: 4 << 20, log: output)
        process.onStart = { pid in self.state.withLock { $0.pid = pid } }
        let started = process
        Task.detached {
            let result: Result<ChildProcessResult, any Error>
            do { result = .success(try await started.run()) } catch { result = .failure(error) }
            self.state.withLock { $0.result = result }
        }
    }

    /// labforge's PID, once it runs.
    public var pid: pid_t? { state.withLock { $0.pid } }

    /// Whether labforge has exited.
    public var hasExited: Bool { state.withLock { $0.result != nil } }

    /// Samples descendants until one whose command line contains `text` appears (or labforge exits).
    /// - Parameters:
    ///   - text: Part of the command line (`mmdebstrap`, `labforge.launch=`, …).
    ///   - seconds: How long to wait.
    /// - Returns: Whether it appeared.
    public func waitForDescendant(containing text: String, seconds: Double) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline, !hasExited {
            if sample().contains(where: { $0.contains(text) }) { return true }
            try? await Task.sleep(for: .milliseconds(200))
        }
        return false
    }

    /// Waits until `condition` holds, sampling descendants meanwhile.
    /// - Returns: Whether it held before `seconds` passed and while labforge ran.
    public func wait(seconds: Double, until condition: () -> Bool) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline, !hasExited {
            sample()
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(200))
        }
        return false
    }

    /// Sends `signal` to labforge (only to labforge: a terminal's Ctrl-C would reach its group, but a Kubernetes
    /// SIGTERM reaches only PID 1, and that is the harder case).
    public func send(_ signal: Int32) {
        sample()
        if let pid { kill(pid, signal) }
    }

    /// Waits for labforge to exit, sampling descendants meanwhile.
    /// - Parameter seconds: The limit.
    /// - Returns: The result, or nil when it did not exit in time.
    public func waitForExit(seconds: Double) async -> ChildProcessResult? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if hasExited { return try? state.withLock { $0.result }?.get() }
            sample()
            try? await Task.sleep(for: .milliseconds(100))
        }
        return nil
    }

    /// Ends labforge and everything it started (a test that failed early must not leave them running).
    public func killAll() {
        for group in Set(state.withLock { $0.descendants.values.map(\.group) }) where group > 1 && group != getpgrp() { kill(-group, SIGKILL) }
        if let pid { kill(pid, SIGKILL) }
    }

    /// Descendants seen during the run that are still alive now (same PID, same command line), and process
    /// groups seen during the run that still have members.
    public var survivors: [String] {
        let seen = state.withLock { $0.descendants }
        var alive: [String] = []
        for (pid, record) in seen where Self.commandLine(of: pid) == record.command {
            alive.append("pid \(pid) (group \(record.group)): \(record.command)")
        }
        for group in Set(seen.values.map(\.group)) where group > 1 && group != getpgrp() && RunningChildren.isAlive(group) {
            alive.append("process group \(group) still has members")
        }
        return alive
    }

    /// Processes anywhere on the machine whose command line contains `text` (scope it with a run's directory).
    public static func processes(containing text: String) -> [String] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry in
            guard let pid = Int32(entry), pid != getpid() else { return nil }
            let command = commandLine(of: pid)
            return command.contains(text) ? "pid \(pid): \(command)" : nil
        }
    }

    /// Records labforge's current descendants; returns their command lines.
    @discardableResult
    private func sample() -> [String] {
        guard let root = pid else { return [] }
        var parents: [pid_t: pid_t] = [:]
        var groups: [pid_t: pid_t] = [:]
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = Int32(entry), let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { continue }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 3, let parent = Int32(fields[1]), let group = Int32(fields[2]) else { continue }
            parents[pid] = parent
            groups[pid] = group
        }
        var found: [pid_t: (group: pid_t, command: String)] = [:]
        for (pid, _) in parents {
            var ancestor = parents[pid]
            var depth = 0
            while let current = ancestor, current > 1, current != root, depth < 64 {
                ancestor = parents[current]
                depth += 1
            }
            if ancestor == root { found[pid] = (groups[pid] ?? 0, Self.commandLine(of: pid)) }
        }
        state.withLock { state in
            for (pid, record) in found where !record.command.isEmpty { state.descendants[pid] = record }
        }
        return found.values.map(\.command)
    }

    private static func commandLine(of pid: pid_t) -> String {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return "" }
        return String(decoding: data.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self).trimmingCharacters(in: .whitespaces)
    }
}
