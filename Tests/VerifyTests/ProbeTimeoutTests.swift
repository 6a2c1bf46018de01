// A probe attempt's time limit holds even when the attempt ignores cancellation (a blocking read on a dedicated
// thread): the caller goes on at the limit and the attempt ends on its own. Asserted by what was not done yet when
// the limit's error came, never by clock readings.
import Foundation
import Reporting
import Synchronization
import Testing
@testable import Verify

@Suite("probe time limits")
struct ProbeTimeoutTests {
    @Test("a body that ignores cancellation: the limit's error comes while the body is still running", .timeLimit(.minutes(1)))
    func uncancellableBody() async throws {
        let finished = Atomic<Bool>(false)
        let release = DispatchSemaphore(value: 0)
        do {
            let value = try await withTimeout(0.2, "no answer within 0.2 s") {
                // Blocks its thread until released: cancellation cannot reach it.
                try await DedicatedThread.run(name: "test.blocked") {
                    release.wait()
                    finished.store(true, ordering: .sequentiallyConsistent)
                    return 1
                }
            }
            Issue.record("returned \(value) though the body was still blocked")
        } catch let error as ProbeFailure {
            #expect(error.description == "no answer within 0.2 s")
        }
        let bodyDone = finished.load(ordering: .sequentiallyConsistent)
        #expect(!bodyDone, "the caller waited for the body")
        release.signal()
    }

    @Test("a body's value and its error come back as they are; a cancelled caller gets CancellationError")
    func outcomes() async throws {
        #expect(try await withTimeout(60, "late") { 42 } == 42)
        let own = await #expect(throws: ProbeFailure.self) { try await withTimeout(60, "late") { throw ProbeFailure("its own") } }
        #expect(own?.description == "its own")
        let caller = Task { try await withTimeout(60, "late") { try await Task.sleep(for: .seconds(60)); return 0 } }
        caller.cancel()
        await #expect(throws: CancellationError.self) { try await caller.value }
    }
}
