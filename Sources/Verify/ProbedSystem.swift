// What the probes need of the thing they probe: a VM under qemu, or a container image run in namespaces.

/// A running lab (VM or container) whose agents the probes reach through loopback ports on the host.
protocol ProbedSystem: Sendable {
    /// Whether it still runs (probes stop trying when it has stopped).
    var isRunning: Bool { get }
    /// Why it stopped, for the probe's failure detail.
    var stopDescription: String { get }
    /// Host port on 127.0.0.1 for each agent port.
    var hostPorts: [Int: Int] { get }
    /// The guest agent's socket, where there is one.
    var guestAgentSocketPath: String? { get }
}

extension QemuGuest: ProbedSystem {
    var stopDescription: String {
        stderrText.split(separator: "\n").last.map(String.init) ?? "exited with status \(exitStatus)"
    }

    var guestAgentSocketPath: String? { invocation.guestAgentSocketPath }
}
