// The lab-tasks proof: each task's check fails on the fresh image, its solve script makes it pass, and results.json
// says so — through the image's own `lab` command, run as root.
import Foundation
import LabforgeRecipe

/// Proves a lab's tasks with the `lab` command the image holds (``LabTasks/commandPath``), run as root through a
/// ``GuestCommandRunner`` (the guest agent in a VM): for each task in order `lab check N` fails, then — when the task
/// has a solve script — `lab solve N` succeeds and `lab check N` passes; last, ``LabTasks/resultsPath`` holds an entry
/// per task, passed for the solved ones. A check that never fails, or still fails after its solve, is a
/// ``FinalFailure`` naming the task.
struct LabTasksProof: Sendable {
    /// One task as `lab --json` lists it.
    struct Task: Sendable, Equatable {
        /// Its number (from 1).
        var number: Int
        /// Its title.
        var title: String
    }

    /// Where the commands run.
    let runner: any GuestCommandRunner
    /// Seconds each `lab` command may run: a check's own limit (60 s by default) with slack.
    var commandTimeout: Double = 90

    /// The `lab` command as a script word; `LAB_ROOT` (unset in the image) is the test's scratch root.
    static let lab = #""${LAB_ROOT:-}"# + LabTasks.commandPath + #"""#

    /// The image's tasks, from `lab --json`.
    /// - Returns: The tasks, in order.
    /// - Throws: ``SocketFailure`` while the guest agent does not answer, ``ProbeFailure`` while `lab` is not there
    ///   (both retried); ``FinalFailure`` when `lab --json` fails or lists no task.
    func tasks() async throws -> [Task] {
        let listing = try await runner.run("\(Self.lab) --json", timeout: commandTimeout)
        if listing.status == 127 { throw ProbeFailure("lab is not installed (yet): \(listing.tail())") }
        guard listing.status == 0 else { throw FinalFailure("`lab --json` exited \(listing.status): \(listing.tail())") }
        let entries = try Self.entries(listing.stdout, source: "`lab --json`")
        let tasks = entries.compactMap { entry -> Task? in
            guard let number = entry["number"] as? Int, let title = entry["title"] as? String else { return nil }
            return Task(number: number, title: title)
        }
        guard !tasks.isEmpty, tasks.count == entries.count else {
            throw FinalFailure("`lab --json` lists no tasks with a number and a title: \(listing.tail())")
        }
        return tasks
    }

    /// Runs the proof over `tasks`.
    /// - Parameter tasks: What ``tasks()`` found.
    /// - Returns: One clause per task and the results file's count.
    /// - Throws: ``FinalFailure`` naming the task at fault; a runner's error when the guest stopped answering.
    func prove(_ tasks: [Task]) async throws -> String {
        var clauses: [String] = []
        var solved: Set<Int> = []
        for task in tasks {
            let name = "task \(task.number) (\(task.title.debugDescription))"
            let fresh = try await runner.run("\(Self.lab) check \(task.number)", timeout: commandTimeout)
            if fresh.status == 0 {
                throw FinalFailure("\(name): its check passes on the fresh image — a check that never fails proves nothing")
            }
            guard fresh.status == 1 else { throw FinalFailure("\(name): `lab check \(task.number)` exited \(fresh.status): \(fresh.tail())") }
            var clause = "task \(task.number) \(task.title.debugDescription): check failed on the fresh image (exit \(fresh.status))"
            let solveScript = #""${LAB_ROOT:-}"# + LabTasks.directory(of: task.number) + #"/solve""#
            let hasSolve = try await runner.run("test -f \(solveScript)", timeout: commandTimeout).status == 0
            if hasSolve {
                let solve = try await runner.run("\(Self.lab) solve \(task.number)", timeout: commandTimeout)
                guard solve.status == 0 else { throw FinalFailure("\(name): its solve script failed (exit \(solve.status)): \(solve.tail())") }
                let after = try await runner.run("\(Self.lab) check \(task.number)", timeout: commandTimeout)
                guard after.status == 0 else {
                    throw FinalFailure("\(name): its check still fails after its solve script (exit \(after.status)): \(after.tail())")
                }
                clause += ", solve (exit 0), check passed"
                solved.insert(task.number)
            } else {
                clause += ", no solve script: passing not proven"
            }
            clauses.append(clause)
        }
        let results = try await runner.run(#"cat "${LAB_ROOT:-}"# + LabTasks.resultsPath + #"""#, timeout: commandTimeout)
        guard results.status == 0 else { throw FinalFailure("\(LabTasks.resultsPath) cannot be read after the checks: \(results.tail())") }
        let entries = try Self.entries(results.stdout, source: LabTasks.resultsPath)
        for task in tasks {
            guard let entry = entries.first(where: { $0["number"] as? Int == task.number }), entry["checkedAt"] is String else {
                throw FinalFailure("\(LabTasks.resultsPath) has no checked entry for task \(task.number) (\(task.title.debugDescription))")
            }
            let passed = entry["passed"] as? Bool == true
            guard passed == solved.contains(task.number) else {
                throw FinalFailure(
                    "\(LabTasks.resultsPath) says task \(task.number) (\(task.title.debugDescription)) \(passed ? "passed" : "did not pass"), but its last check \(passed ? "failed" : "passed")")
            }
        }
        let passed = entries.filter { $0["passed"] as? Bool == true }.count
        return clauses.joined(separator: "; ") + "; results.json: \(entries.count) tasks, \(passed) passed"
    }

    /// The `tasks` array of `lab --json` or results.json (``LabCommand/resultsShape``).
    static func entries(_ data: Data, source: String) throws -> [[String: Any]] {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any], let tasks = object["tasks"] as? [[String: Any]] else {
            throw FinalFailure("\(source) is not {\"tasks\": [...]}: \(String(decoding: data.prefix(200), as: UTF8.self).debugDescription)")
        }
        return tasks
    }
}
