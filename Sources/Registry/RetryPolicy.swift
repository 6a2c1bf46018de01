// When and how long to wait before retrying a registry request: exponential backoff with jitter, Retry-After.
import Foundation

/// Retry budget and delays for transient registry failures (5xx, 429, 408, timeouts, dropped connections).
public struct RetryPolicy: Sendable, Equatable {
    /// Attempts in all, the first one included.
    public var maxAttempts: Int
    /// Delay before the second attempt, in seconds; doubled for each further attempt.
    public var initialDelay: Double
    /// Longest backoff delay, in seconds.
    public var maxDelay: Double
    /// Longest `Retry-After` honoured, in seconds (a registry asking for more gets this much).
    public var maxRetryAfter: Double

    /// Creates a policy.
    /// - Parameters:
    ///   - maxAttempts: Attempts in all (at least 1).
    ///   - initialDelay: First backoff delay in seconds.
    ///   - maxDelay: Backoff cap in seconds.
    ///   - maxRetryAfter: Cap on a registry's `Retry-After`, in seconds.
    public init(maxAttempts: Int = 6, initialDelay: Double = 0.5, maxDelay: Double = 30, maxRetryAfter: Double = 120) {
        self.maxAttempts = max(1, maxAttempts)
        self.initialDelay = initialDelay
        self.maxDelay = maxDelay
        self.maxRetryAfter = maxRetryAfter
    }

    /// The delay before the next attempt.
    /// - Parameters:
    ///   - attempt: Attempts made so far (1 after the first failure).
    ///   - retryAfter: The registry's `Retry-After` in seconds, when it sent one.
    /// - Returns: Seconds to wait: the registry's wish when given, else `initialDelay·2^(attempt-1)` capped at
    ///   `maxDelay`, of which a random half is jitter (so parallel uploads do not retry in lock-step).
    public func delay(afterAttempt attempt: Int, retryAfter: Double? = nil) -> Double {
        if let retryAfter { return min(max(retryAfter, 0), maxRetryAfter) }
        let base = min(maxDelay, initialDelay * pow(2, Double(max(attempt - 1, 0))))
        return base / 2 + Double.random(in: 0...(base / 2))
    }

    /// Whether a response status is worth retrying.
    /// - Parameter status: The HTTP status.
    /// - Returns: True for 408, 429 and 5xx other than 501/505.
    public static func isRetryable(status: Int) -> Bool {
        status == 408 || status == 429 || ((500...599).contains(status) && status != 501 && status != 505)
    }

    /// Parses a `Retry-After` header: delta-seconds or an HTTP-date.
    /// - Parameters:
    ///   - value: The header value.
    ///   - now: The current time (for HTTP-dates).
    /// - Returns: Seconds to wait, or nil when the value is not understood.
    public static func parseRetryAfter(_ value: String, now: Date = Date()) -> Double? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        if let seconds = Double(trimmed), seconds >= 0 { return seconds }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: trimmed) else { return nil }
        return max(0, date.timeIntervalSince(now))
    }
}
