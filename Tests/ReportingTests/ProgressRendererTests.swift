// The progress renderers: CI lines show every new step but throttle byte counts; JSON lines are parseable.
import Foundation
import Reporting
import Synchronization
import Testing

final class Captured: Sendable {
    let lines = Mutex<[String]>([])
    func append(_ text: String) { lines.withLock { $0.append(text) } }
    var all: [String] { lines.withLock { $0 } }
}

@Suite("progress renderers")
struct ProgressRendererTests {
    @Test func linesShowEveryStepAndThrottleBytes() {
        let captured = Captured()
        let reporter = StreamProgressReporter(style: .lines(interval: 3600), write: captured.append)
        for step in 1...3 {
            reporter.report(ProgressEvent(subject: "lab", stage: "customize", detail: "[\(step)/3] step", completed: Int64(step - 1), total: 3, unit: .steps))
        }
        for sent in stride(from: 0, to: 100, by: 10) {
            reporter.report(ProgressEvent(subject: "lab", stage: "push", completed: Int64(sent), total: 100, unit: .bytes))
        }
        reporter.report(ProgressEvent(subject: "lab", stage: "push", completed: 100, total: 100, unit: .bytes, finished: true))
        let lines = captured.all
        #expect(lines.filter { $0.contains("customize") }.count == 3)
        #expect(lines.filter { $0.contains("push") }.count == 2, "first byte count and the finished line only: \(lines)")
        #expect(lines.last?.contains("done") == true)
    }

    @Test("a byte rate appears only once half a second has passed (no \"976.6 GiB/s\" on the first chunk)")
    func rateNeedsTime() async throws {
        let captured = Captured()
        let reporter = StreamProgressReporter(style: .lines(interval: 0), write: captured.append)
        reporter.report(ProgressEvent(subject: "lab.qcow2", stage: "package", completed: 1 << 20, total: 8 << 20, unit: .bytes))
        try await Task.sleep(for: .milliseconds(600))
        reporter.report(ProgressEvent(subject: "lab.qcow2", stage: "package", completed: 2 << 20, total: 8 << 20, unit: .bytes))
        let lines = captured.all
        #expect(lines.count == 2)
        #expect(lines.first?.contains("/s") == false, "\(lines)")
        #expect(lines.last?.contains("/s") == true, "\(lines)")
    }

    @Test func jsonLinesCarryTheEvent() throws {
        let captured = Captured()
        let reporter = StreamProgressReporter(style: .json(interval: 0), write: captured.append)
        reporter.report(ProgressEvent(subject: "lab", stage: "package", completed: 5, total: 10, unit: .bytes))
        let line = try #require(captured.all.first)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["type"] as? String == "progress")
        let event = try #require(object["event"] as? [String: Any])
        #expect(event["subject"] as? String == "lab" && event["completed"] as? Int == 5)
    }

    @Test func relabeledEventsCarryTheImageName() {
        let captured = Captured()
        let reporter = RelabeledProgress(subject: "debian-desktop", inner: StreamProgressReporter(style: .lines(interval: 0), write: captured.append))
        reporter.report(ProgressEvent(subject: "/cache/images/5f9c.qcow2", stage: "verify", detail: "ssh ok", completed: 1, total: 5, unit: .steps))
        #expect(captured.all.count == 1)
        #expect(captured.all.first?.contains("debian-desktop verify  ssh ok") == true)
        #expect(captured.all.first?.contains("5f9c") == false)
    }
}
