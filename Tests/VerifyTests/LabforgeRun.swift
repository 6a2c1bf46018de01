// Runs the labforge binary in the background and records the qemu processes it starts, to prove none outlive it.
import Foundation
import TestSupport

/// A labforge process watched from outside: its children are sampled while it runs.
final class LabforgeRun: @unchecked Sendable {
    let process = Process()
    private let stdoutFile: String
    private let stderrFile: String
    private(set) var children: Set<Int32> = []

    /// Starts `labforge arguments…` with output going to files in `directory`.
    init(_ arguments: [String], in directory: String) throws {
        stdoutFile = directory + "/labforge.out"
        stderrFile = directory + "/labforge.err"
        try Data().write(to: URL(fileURLWithPath: stdoutFile))
        try Data().write(to: URL(fileURLWithPath: stderrFile))
        process.executableURL = URL(fileURLWithPath: Command.labforgeBinary)
        process.arguments = arguments
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: stdoutFile))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrFile))
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    /// Samples the children (pgrep -P) until one named qemu-system-x86 appears or `seconds` pass.
    /// - Returns: The qemu PID, if one appeared.
    func waitForQemu(seconds: Double) async throws -> Int32? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline, process.isRunning {
            await sample()
            if let pid = children.first(where: { Self.command(of: $0).contains("qemu-system") }) { return pid }
            try await Task.sleep(for: .milliseconds(300))
        }
        return nil
    }

    /// Samples children until labforge exits.
    func waitForExit() async {
        while process.isRunning {
            await sample()
            try? await Task.sleep(for: .milliseconds(500))
        }
        process.waitUntilExit()
    }

    var status: Int32 { process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus }
    var stdout: String { (try? String(contentsOfFile: stdoutFile, encoding: .utf8)) ?? "" }
    var stderr: String { (try? String(contentsOfFile: stderrFile, encoding: .utf8)) ?? "" }

    private func sample() async {
        guard let result = try? await Command.run(["pgrep", "-P", String(process.processIdentifier)]) else { return }
        for line in result.stdout.split(separator: "\n") { if let pid = Int32(line) { children.insert(pid) } }
    }

    /// The command line of a process (empty once it is gone).
    static func command(of pid: Int32) -> String {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return "" }
        return String(decoding: data.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
    }

    /// Whether a process still exists (zombies count as gone).
    static func isAlive(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
        return !stat.contains(") Z ")
    }

    /// Waits up to `seconds` for every recorded qemu child to be gone.
    /// - Returns: PIDs still alive afterwards.
    func survivors(after seconds: Double) -> [Int32] {
        let deadline = Date().addingTimeInterval(seconds)
        var alive = children.filter(Self.isAlive)
        while !alive.isEmpty, Date() < deadline {
            Thread.sleep(forTimeInterval: 0.2)
            alive = alive.filter(Self.isAlive)
        }
        return Array(alive)
    }
}
