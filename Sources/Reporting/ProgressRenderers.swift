// Turns progress events into a live bar (terminal), timestamped lines (CI logs) or JSON lines (machines).
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Synchronization

/// How progress is shown.
public enum ProgressStyle: Sendable {
    /// A live bar redrawn in place on a terminal.
    case bar
    /// A timestamped plain line at most every `interval` seconds per subject (and for every new step), and at the end.
    case lines(interval: Double)
    /// One JSON object per event on the stream (throttled like `lines`).
    case json(interval: Double)
    /// Nothing.
    case none

    /// The style for the current process: JSON when asked, a bar on a terminal, lines otherwise.
    /// - Parameter json: Whether the user asked for machine output.
    /// - Returns: The style to use for standard error.
    public static func automatic(json: Bool) -> ProgressStyle {
        if json { return .json(interval: 1) }
        return isatty(STDERR_FILENO) == 1 ? .bar : .lines(interval: 10)
    }
}

/// Renders events on standard error in the chosen ``ProgressStyle``.
public final class StreamProgressReporter: ProgressReporter {
    private struct Track {
        var started: Double
        var lastDrawn: Double
        var lastDetail: String?
    }

    private let style: ProgressStyle
    private let state = Mutex<[String: Track]>([:])
    private let write: @Sendable (String) -> Void

    /// Creates a reporter.
    /// - Parameters:
    ///   - style: How to render.
    ///   - write: Where text goes; standard error by default.
    public init(style: ProgressStyle, write: @escaping @Sendable (String) -> Void = StreamProgressReporter.standardError) {
        self.style = style
        self.write = write
    }

    /// Writes text to standard error without buffering.
    public static let standardError: @Sendable (String) -> Void = { text in
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// Renders the event if its style says it is time to.
    public func report(_ event: ProgressEvent) {
        let now = Self.now()
        let key = event.subject + "\u{0}" + event.stage
        let interval: Double
        switch style {
        case .none: return
        case .bar: interval = 0.1
        case .lines(let seconds), .json(let seconds): interval = seconds
        }
        let started: Double? = state.withLock { tracks in
            var track = tracks[key] ?? Track(started: now, lastDrawn: -.infinity)
            defer { tracks[key] = event.finished ? nil : track }
            // A new step (customize step, probe) is always shown; byte counts at most every `interval`.
            let newStep = event.unit == .steps && event.detail != track.lastDetail
            guard event.finished || newStep || now - track.lastDrawn >= interval else { return nil }
            track.lastDrawn = now
            track.lastDetail = event.detail
            return track.started
        }
        guard let started else { return }
        let elapsed = max(now - started, 0.000_001)
        switch style {
        case .none: return
        case .bar: write("\r\u{1B}[2K" + Self.line(event, elapsed: elapsed, bar: true) + (event.finished ? "\n" : ""))
        case .lines: write(Self.timestamp() + " " + Self.line(event, elapsed: elapsed, bar: false) + "\n")
        case .json: write(Self.json(event, elapsed: elapsed) + "\n")
        }
    }

    /// The shortest time over which a byte rate is shown.
    static let minimumRateWindow = 0.5

    static func line(_ event: ProgressEvent, elapsed: Double, bar: Bool) -> String {
        var parts = ["\(event.subject) \(event.stage)"]
        if let detail = event.detail { parts.append(detail) }
        switch event.unit {
        case .bytes:
            var amount = ByteCount.format(event.completed)
            if let total = event.total { amount += " / " + ByteCount.format(total) }
            // A rate over less than half a second says nothing (the first chunk would read as "976.6 GiB/s").
            if elapsed >= Self.minimumRateWindow {
                amount += "  " + ByteCount.format(Int64(Double(event.completed) / elapsed)) + "/s"
            }
            parts.append(amount)
        case .steps:
            parts.append(event.total.map { "step \(event.completed)/\($0)" } ?? "step \(event.completed)")
        }
        if bar, let total = event.total, total > 0 {
            let width = 24
            let filled = min(width, Int(Double(width) * Double(event.completed) / Double(total)))
            parts.insert("[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "]", at: 1)
        }
        if let total = event.total, total > 0 {
            parts.append(String(format: "%3.0f%%", 100 * Double(event.completed) / Double(total)))
        }
        parts.append(String(format: "%.1fs", elapsed))
        if event.finished { parts.append("done") }
        return parts.joined(separator: "  ")
    }

    static func json(_ event: ProgressEvent, elapsed: Double) -> String {
        struct Line: Encodable {
            var type = "progress"
            var event: ProgressEvent
            var elapsedSeconds: Double
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(Line(event: event, elapsedSeconds: (elapsed * 1000).rounded() / 1000))) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    static func now() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }

    static func timestamp() -> String {
        Date().formatted(.iso8601)
    }
}

/// Human byte counts in binary units.
public enum ByteCount {
    /// Formats a byte count as `512 B`, `1.5 MiB`, `3.20 GiB`.
    /// - Parameter bytes: The count.
    /// - Returns: A short human string.
    public static func format(_ bytes: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes)
        var index = 0
        while value >= 1024, index < units.count - 1 {
            value /= 1024
            index += 1
        }
        return index == 0 ? "\(bytes) B" : String(format: value < 10 ? "%.2f " : "%.1f ", value) + units[index]
    }
}
