// The one accelerator decision of a process: asked for, probed once, logged once, downgraded on a hung launch.
import Foundation
import Logging
import Synchronization

/// Which accelerator guests run with.
///
/// Every appliance launch and verification boot asks ``decide(logger:)`` of ``shared``. With `auto` the first
/// call runs the ``KVMProbe`` (or reuses a verdict from this boot of the machine, at most an hour old), logs one
/// line saying which accelerator was chosen and why, and every later call gets the same answer. A KVM launch that
/// still fails or hangs calls ``kvmFailed(_:logger:)``, and from then on TCG is used.
public final class AcceleratorChoice: Sendable {
    /// The decision and why it was made.
    public struct Decision: Sendable, Codable, Equatable {
        /// What runs guests.
        public var accelerator: Accelerator
        /// Why, for a log line.
        public var reason: String
        /// What the user asked for.
        public var request: AcceleratorRequest

        /// Creates a decision.
        /// - Parameters:
        ///   - accelerator: What runs guests.
        ///   - reason: Why.
        ///   - request: What the user asked for.
        public init(accelerator: Accelerator, reason: String, request: AcceleratorRequest) {
            self.accelerator = accelerator
            self.reason = reason
            self.request = request
        }

        /// The log line: `accelerator: TCG (software emulation, slower) — KVM present but …`.
        public var summary: String { "accelerator: \(accelerator.displayName) — \(reason)" }
    }

    private struct State {
        var request: AcceleratorRequest?
        var decision: Decision?
    }

    /// The process's choice, which the CLI's `--accel` sets.
    public static let shared = AcceleratorChoice()

    private let state: Mutex<State>
    private let probe: KVMProbe
    private let remembers: Bool
    /// Serializes the probe: parallel builds wait for one verdict instead of probing twice.
    private let probing = NSLock()

    /// Creates a choice (``shared`` is the process's; tests make their own).
    /// - Parameters:
    ///   - decision: A decision taken as made (tests that need KVM on a machine without it); nil to decide on first use.
    ///   - probe: The probe run under `auto`.
    ///   - remembers: Whether probe verdicts are read from and written to this boot's record.
    public init(decision: Decision? = nil, probe: KVMProbe = KVMProbe(), remembers: Bool = true) {
        state = Mutex(State(request: decision?.request, decision: decision))
        self.probe = probe
        self.remembers = remembers
    }

    /// Sets what the user asked for (`--accel`); call before the first launch. Without it,
    /// ``AcceleratorRequest/fromEnvironment(_:)`` applies.
    /// - Parameter request: The request.
    public func request(_ request: AcceleratorRequest) {
        state.withLock { state in
            if state.request != request { state.decision = nil }
            state.request = request
        }
    }

    /// The request in force.
    /// - Throws: ``HypervisorError/invalidRequest(value:source:)`` for a bad `LABFORGE_ACCEL`.
    public func currentRequest() throws -> AcceleratorRequest {
        if let request = state.withLock({ $0.request }) { return request }
        return try AcceleratorRequest.fromEnvironment()
    }

    /// The accelerator to launch with, probing KVM on the first call under `auto`. Blocks for the probe (≤ 6 s):
    /// call it from a thread that may block, not from the cooperative pool.
    /// - Parameter logger: Receives the one line that says what was chosen and why (only when deciding).
    /// - Returns: The decision.
    /// - Throws: ``HypervisorError/invalidRequest(value:source:)``.
    @discardableResult
    public func decide(logger: Logger) throws -> Decision {
        if let decision = state.withLock({ $0.decision }) { return decision }
        let request = try currentRequest()
        probing.lock()
        defer { probing.unlock() }
        if let decision = state.withLock({ $0.decision }) { return decision }
        let decision: Decision
        switch request {
        case .tcg:
            decision = Decision(accelerator: .tcg, reason: "asked for (--accel tcg, LABFORGE_ACCEL=tcg or force_tcg); KVM not tried", request: request)
        case .kvm:
            decision = Decision(accelerator: .kvm, reason: "asked for (--accel kvm or LABFORGE_ACCEL=kvm); not probed, no fallback", request: request)
        case .auto:
            let record = remembers ? ProbeRecord.load(probe: probe) : nil
            let outcome = record ?? probe.run()
            if remembers, record == nil { ProbeRecord.save(outcome, probe: probe) }
            let when = record == nil ? " (probe took \(String(format: "%.1f", outcome.seconds)) s)" : " (probed earlier this boot)"
            decision = Decision(accelerator: outcome.accelerator, reason: outcome.reason + when, request: request)
        }
        state.withLock { $0.decision = decision }
        logger.notice("\(decision.summary)")
        return decision
    }

    /// Reports that a launch under KVM failed or hung although KVM was chosen: from now on (and, under `auto`,
    /// for the rest of this boot's record) TCG is used.
    /// - Parameters:
    ///   - reason: What happened, for the log line.
    ///   - logger: Receives one line.
    /// - Throws: ``HypervisorError/kvmRequiredButUnusable(reason:)`` when the user asked for KVM explicitly.
    public func kvmFailed(_ reason: String, logger: Logger) throws {
        let request = try currentRequest()
        guard request == .auto else { throw HypervisorError.kvmRequiredButUnusable(reason: reason) }
        let decision = Decision(accelerator: .tcg, reason: reason, request: request)
        let changed = state.withLock { state -> Bool in
            defer { state.decision = decision }
            return state.decision?.accelerator != .tcg
        }
        if remembers { ProbeRecord.save(KVMProbe.Outcome(accelerator: .tcg, reason: reason, seconds: 0), probe: probe) }
        if changed { logger.notice("\(decision.summary); retrying under TCG") }
    }
}
