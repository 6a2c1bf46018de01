// Interrupting a program run in its own mount and PID namespace ends everything it started, out of its group too.
import Foundation
import TestSupport
import Testing

@testable import Bases

@Suite("PrivateMountNamespace")
struct PrivateMountNamespaceTests {
    @Test("cancelled: a process that left the group (a session of its own, SIGTERM ignored) is gone before run throws")
    func cancellationEndsProcessesOutsideTheGroup() async throws {
        // apt starts dpkg in a session of its own: a process-group signal never reaches it. CI saw such a dpkg keep
        // writing into a bootstrap tree labforge was removing after a SIGTERM in mmdebstrap's hooks phase.
        let marker = "1000.\(Int.random(in: 100_000_000...999_999_999))"
        let shell = PackagedTool(name: "sh", package: "dash")
        let task = Task {
            try await PrivateMountNamespace.run(shell, ["-c", "setsid sh -c \"trap '' TERM; exec sleep \(marker)\" & sleep 1000"], output: nil)
        }
        var waited = 0
        while Self.processes(named: marker).isEmpty, waited < 200 {
            try await Task.sleep(for: .milliseconds(50))
            waited += 1
        }
        try #require(!Self.processes(named: marker).isEmpty, "the detached process did not start")
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(Self.processes(named: marker).isEmpty, "still running after the run ended: sleep \(marker)")
    }

    @Test("the namespace is private for mounts and PIDs: the program is PID 1 and its mount does not reach the host")
    func programIsInitOfItsNamespace() async throws {
        let directory = try TemporaryDirectory(prefix: "labforge-namespace")
        let shell = PackagedTool(name: "sh", package: "dash")
        let output = try await PrivateMountNamespace.run(
            shell, ["-c", "mount -t tmpfs tmpfs '\(directory.path)' && echo $$ && grep -c ' \(directory.path) ' /proc/self/mounts"], output: nil)
        #expect(output.split(separator: "\n").map(String.init) == ["1", "1"])
        #expect(!(try String(contentsOfFile: "/proc/self/mounts", encoding: .utf8)).contains(" \(directory.path) "))
    }

    /// PIDs whose command line contains `name`.
    static func processes(named name: String) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry -> Int32? in
            guard let pid = Int32(entry), let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { return nil }
            return String(decoding: data, as: UTF8.self).contains(name) ? pid : nil
        }
    }
}
