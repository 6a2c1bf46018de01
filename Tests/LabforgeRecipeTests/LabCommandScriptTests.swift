// The in-guest `lab` command run for real on this host: the plan's files written under a scratch root (LAB_ROOT, the
// script's prefix for tests), checks failing then passing after the solve, results.json, and a non-root student who
// can only ask the root check service.
import Foundation
import LabforgeRecipe
import Testing
import TestSupport

/// Root (checks run as root, chown to nobody) and the tools the script and the test use.
private let canRunAsRootAndNobody =
    getuid() == 0 && ["/usr/bin/setpriv", "/usr/bin/flock", "/usr/bin/timeout"].allSatisfy { FileManager.default.isExecutableFile(atPath: $0) }

@Suite("lab: the tasks' command, run for real")
struct LabCommandScriptTests {
    /// A scratch guest: the tasks' files from their steps, the directories tmpfiles makes at boot.
    final class Guest: Sendable {
        let directory: TemporaryDirectory
        var root: String { directory.path }
        var lab: String { root + LabTasks.commandPath }

        init(_ tasks: LabTasks) throws {
            directory = try TemporaryDirectory(prefix: "labforge-lab-tasks")
            let manager = FileManager.default
            for step in tasks.steps {
                switch step {
                case .makeDirectory(let path, let mode, _):
                    try manager.createDirectory(atPath: root + path, withIntermediateDirectories: true, attributes: [.posixPermissions: mode])
                case .writeFile(let path, let contents, let mode, _):
                    try manager.createDirectory(atPath: root + (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                    try contents.write(toFile: root + path, atomically: false, encoding: .utf8)
                    try manager.setAttributes([.posixPermissions: mode], ofItemAtPath: root + path)
                default:
                    break
                }
            }
            // What systemd-tmpfiles makes of LabTasks.tmpfiles at boot; the scratch root itself is searchable by all.
            try manager.createDirectory(atPath: root + LabTasks.requestDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o1733])
            try manager.createDirectory(atPath: root + LabTasks.answerDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
            try manager.setAttributes([.posixPermissions: 0o1733], ofItemAtPath: root + LabTasks.requestDirectory)
            try manager.setAttributes([.posixPermissions: 0o755], ofItemAtPath: root)
            try manager.createDirectory(atPath: root + "/srv", withIntermediateDirectories: true)
        }

        func run(_ arguments: [String], asNobody: Bool = false) async throws -> CommandResult {
            let prefix = asNobody ? ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] : []
            return try await Command.run(prefix + ["sh", lab] + arguments, environment: ["LAB_ROOT": root])
        }

        func results() throws -> [[String: Any]] {
            let data = try Data(contentsOf: URL(fileURLWithPath: root + LabTasks.resultsPath))
            let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            return try #require(object["tasks"] as? [[String: Any]])
        }
    }

    @Test(
        "as root: check fails on the fresh tree, solve, check passes; results.json says so per task; lab shows the next task; hints, bad numbers, a task without solve",
        .enabled(if: canRunAsRootAndNobody, "needs root, setpriv, flock and timeout"))
    func checkSolveCheck() async throws {
        let guest = try Guest(LabRecipes.twoTasks)
        let fresh = try await guest.run(["check"])
        #expect(fresh.status == 1)
        #expect(fresh.stdout == "[ ] 1. Create the notes file: not done yet\n[ ] 2. Say \"done\": not done yet\n")
        var results = try guest.results()
        #expect(results.map { $0["passed"] as? Bool } == [false, false])
        #expect(results.map { $0["title"] as? String } == ["Create the notes file", #"Say "done""#])
        #expect(results.allSatisfy { ($0["checkedAt"] as? String)?.hasSuffix("Z") == true })

        #expect(try await guest.run(["solve", "1"]).status == 0)
        let one = try await guest.run(["check", "1"])
        #expect(one.status == 0 && one.stdout == "[x] 1. Create the notes file: done\n")
        results = try guest.results()
        #expect(results.map { $0["passed"] as? Bool } == [true, false])
        #expect(results.map { $0["number"] as? Int } == [1, 2])
        let json = try await guest.run(["--json"])
        #expect(json.stdout == (try String(contentsOfFile: guest.root + LabTasks.resultsPath, encoding: .utf8)))

        let overview = try await guest.run([])
        #expect(overview.stdout.hasPrefix("[x] 1. Create the notes file\n[ ] 2. Say \"done\"   <- now\n"))
        #expect(overview.stdout.contains("Task 2: Say \"done\"\n\nCreate /srv/done.\n"))
        #expect(try await guest.run(["hint"]).stdout == "Task 2 has no hint.\n")
        #expect(try await guest.run(["hint", "1"]).stdout == "echo can write into a file with >\n")
        let bad = try await guest.run(["check", "3"])
        #expect(bad.status == 2 && bad.stderr.contains("there is no task 3 (tasks 1-2)"))
        #expect(try await guest.run(["solve", "2"]).stderr.contains("task 2 has no solve script"))

        #expect(FileManager.default.createFile(atPath: guest.root + "/srv/done", contents: nil))
        let all = try await guest.run(["check"])
        #expect(all.status == 0)
        #expect(try guest.results().map { $0["passed"] as? Bool } == [true, true])
        #expect(try await guest.run([]).stdout.contains("All 2 tasks are done."))
    }

    @Test(
        "as a student (nobody): lab check asks the root service through the request directory and prints its answer; the student cannot read the scripts, solve or write the results; forged requests are removed unread",
        .enabled(if: canRunAsRootAndNobody, "needs root, setpriv, flock and timeout"))
    func studentAsks() async throws {
        let guest = try Guest(LabRecipes.twoTasks)
        _ = try await guest.run(["check"])  // results.json exists, root-owned
        let student = Task { try await guest.run(["check"], asNobody: true) }
        // The path unit's part: run the service while the request is there (bounded; no timing asserted).
        var served = 0
        while served < 200 {
            let pending = try FileManager.default.contentsOfDirectory(atPath: guest.root + LabTasks.requestDirectory)
            if !pending.isEmpty {
                #expect(try await guest.run(["--serve"]).status == 0)
                break
            }
            try await Task.sleep(for: .milliseconds(100))
            served += 1
        }
        let answer = try await student.value
        #expect(answer.status == 1, "\(answer.stderr)")
        #expect(answer.stdout == "[ ] 1. Create the notes file: not done yet\n[ ] 2. Say \"done\": not done yet\n")

        let forged = try await Command.run(
            ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "sh", "-c",
             "echo '{\"tasks\": []}' > \"$1\"; cat \"$2\"", "sh", guest.root + LabTasks.resultsPath, guest.root + LabTasks.directory(of: 1) + "/solve"])
        #expect(forged.status != 0)
        #expect(try guest.results().count == 2)
        #expect(try await guest.run(["solve", "1"], asNobody: true).stderr.contains("solve runs as root only"))

        let requests = guest.root + LabTasks.requestDirectory
        try FileManager.default.createSymbolicLink(atPath: requests + "/evil.all", withDestinationPath: "/etc/shadow")
        #expect(FileManager.default.createFile(atPath: requests + "/bad name.all", contents: nil))
        #expect(FileManager.default.createFile(atPath: requests + "/x.99", contents: nil))
        #expect(try await guest.run(["--serve"]).status == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: requests).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: guest.root + LabTasks.answerDirectory + "/x"))
        #expect(FileManager.default.fileExists(atPath: guest.root + LabTasks.answerDirectory + "/evil"))  // a symlink's name is a request like any other; its target is never read
    }
}
