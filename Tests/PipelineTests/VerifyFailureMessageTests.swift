// A failed verification stops the build with each failed probe and what it saw: a lab task whose check never fails
// is named in the build's error, not only "lab-tasks".
import Foundation
@testable import Pipeline
import Testing
import Verify

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
