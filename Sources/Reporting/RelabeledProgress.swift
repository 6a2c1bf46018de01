// Progress of a component (a verifier naming its disk, a packer naming its file) shown under the name of
// the image being built, so parallel builds read as one line per image and stage.

/// Passes events on with their subject replaced.
public struct RelabeledProgress: ProgressReporter {
    private let subject: String
    private let inner: any ProgressReporter

    /// Creates a relabeling reporter.
    /// - Parameters:
    ///   - subject: The subject every event gets (e.g. the recipe name).
    ///   - inner: Where events go.
    public init(subject: String, inner: any ProgressReporter) {
        self.subject = subject
        self.inner = inner
    }

    /// Reports `event` under ``subject``.
    public func report(_ event: ProgressEvent) {
        var event = event
        event.subject = subject
        inner.report(event)
    }
}
