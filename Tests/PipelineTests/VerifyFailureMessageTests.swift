// A failed verification stops the build with each failed probe and what it saw: a lab task whose check never fails
// is named in the build's error, not only "lab-tasks".
import Foundation
import LabforgeRecipe
@testable import Pipeline
import TestSupport
import Testing
@testable import Verify

@Suite("the build's verification failure message")
struct VerifyFailureMessageTests {
    @Test("each failed probe with the start of its detail, on one line; passed probes are not listed")
    func failedProbesWithDetail() throws {
        let never = #"task 1 ("Make a project directory"): its check passes on the fresh image — a check that never fails proves nothing"#
        let long = String(repeating: "x", count: 500)
        let json = """
            {"accelerator": "tcg", "consoleTail": "", "disk": "lab.qcow2", "finishedAt": "2026-12-06T07:00:00Z", "passed": false,
             "seconds": 90, "stoppedBy": "uefi-secure-boot: acpi",
             "results": [
               {"probe": "web-terminal", "passed": true, "seconds": 60, "attempts": 3, "detail": "ok"},
               {"probe": "lab-tasks", "passed": false, "seconds": 70, "attempts": 1, "detail": \(try String(decoding: JSONEncoder().encode(never), as: UTF8.self))},
               {"probe": "ssh", "passed": false, "seconds": 90, "attempts": 9, "detail": "line one\\nline two \(long)"}
             ]}
            """
        let report = try JSONDecoder().decode(VerificationReport.self, from: Data(json.utf8))
        let failures = VerifyStage.failures(report)
        #expect(failures.count == 2)
        #expect(failures.first == "lab-tasks: " + never)
        #expect(failures.last?.hasPrefix("ssh: line one line two xxx") == true)
        #expect(failures.last?.hasSuffix("…") == true && failures.last!.count == "ssh: ".count + 241)
        let message = PipelineError.verificationFailed(image: "linux-basics", failed: failures, log: "build.log").description
        #expect(message.hasPrefix(#"linux-basics: verification failed (lab-tasks: task 1 ("Make a project directory"): its check passes on the fresh image"#), "\(message)")
    }
}

@Suite("reusing a passed verification")
struct VerificationReuseTests {
    @Test("an unchanged image keeps its verification only when it passed the recipe's probes by the current proofs")
    func currentProofsOnly() throws {
        let directory = try TemporaryDirectory(prefix: "labforge-reuse")
        let recipe = Recipe(name: "desk", sysprep: nil) { WebDesktop(session: .xfce) }
        let plan = VerifyStage.plan(for: recipe, target: .vm)
        #expect(plan.targets.map(\.name).contains("desktop-session"))
        let results = plan.targets.map { ProbeResult(probe: $0.name, passed: true, seconds: 1, attempts: 1, detail: "ok") }
        let report = VerificationReport(
            disk: "d", accelerator: "tcg", results: results, passed: true, seconds: 1, stoppedBy: "powerdown", consoleLog: nil, consoleTail: "", finishedAt: "")
        let path = directory.appending("verification.json")
        func write(_ report: VerificationReport) throws { try JSONEncoder().encode(report).write(to: URL(fileURLWithPath: path)) }
        #expect(!VerifyStage.covers(path, recipe: recipe, target: .vm), "no file")
        try write(report)
        #expect(VerifyStage.covers(path, recipe: recipe, target: .vm))
        // By the proofs of an earlier revision (the desktop-session that could picture an empty panel): verified again.
        var earlier = report
        earlier.proofs = VerificationReport.proofRevision - 1
        try write(earlier)
        #expect(!VerifyStage.covers(path, recipe: recipe, target: .vm))
        var failed = report
        failed.passed = false
        try write(failed)
        #expect(!VerifyStage.covers(path, recipe: recipe, target: .vm))
        try Data("{".utf8).write(to: URL(fileURLWithPath: path))
        #expect(!VerifyStage.covers(path, recipe: recipe, target: .vm), "unreadable")
    }
}
