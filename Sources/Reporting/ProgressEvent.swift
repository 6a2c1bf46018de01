// What long-running work (download, customize, package, push, verify) says about itself.

/// One observation of long-running work, sent to a ``ProgressReporter``.
///
/// Producers send events as often as they like; renderers decide how often to draw.
public struct ProgressEvent: Sendable, Codable, Equatable {
    /// What `completed` and `total` count.
    public enum Unit: String, Sendable, Codable {
        case bytes
        case steps
    }

    /// The thing being worked on: an image name, a file, a blob.
    public var subject: String
    /// The stage of work: `package`, `push`, `download`, `customize`, `verify`, …
    public var stage: String
    /// A human detail: the current step's name, a blob digest, a probe.
    public var detail: String?
    /// Units done so far.
    public var completed: Int64
    /// Units in all, when known.
    public var total: Int64?
    /// What the counts count.
    public var unit: Unit
    /// True on the last event of this subject and stage.
    public var finished: Bool

    /// Creates an event.
    /// - Parameters:
    ///   - subject: The thing being worked on.
    ///   - stage: The stage of work.
    ///   - detail: An optional human detail.
    ///   - completed: Units done so far.
    ///   - total: Units in all, when known.
    ///   - unit: What the counts count.
    ///   - finished: Whether this is the last event of this subject and stage.
    public init(
        subject: String, stage: String, detail: String? = nil, completed: Int64, total: Int64? = nil,
        unit: Unit = .bytes, finished: Bool = false
    ) {
        self.subject = subject
        self.stage = stage
        self.detail = detail
        self.completed = completed
        self.total = total
        self.unit = unit
        self.finished = finished
    }
}

/// Receives progress events. Implementations must be cheap to call from hot loops.
public protocol ProgressReporter: Sendable {
    /// Takes one event.
    /// - Parameter event: The observation.
    func report(_ event: ProgressEvent)
}

/// A reporter that drops every event (library default, tests).
public struct SilentProgress: ProgressReporter {
    /// Creates a silent reporter.
    public init() {}
    /// Drops the event.
    public func report(_ event: ProgressEvent) {}
}
