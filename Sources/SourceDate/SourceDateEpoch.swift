// SOURCE_DATE_EPOCH, read once per process and checked by one rule, for every time field a build writes.
import Foundation

/// The time reproducible outputs carry instead of the clock (https://reproducible-builds.org/specs/source-date-epoch/).
///
/// The rule, the same for every reader: unset or blank means "not pinned"; otherwise, after surrounding spaces are
/// trimmed, the value must be decimal digits only, at most 253402300799 (9999-12-31T23:59:59Z); anything else is
/// ``SourceDateEpochError/malformed(value:)``, refused when labforge starts rather than silently ignored.
public struct SourceDateEpoch: Sendable, Hashable {
    /// The environment variable.
    public static let variable = "SOURCE_DATE_EPOCH"
    /// The largest value accepted: 9999-12-31T23:59:59Z.
    public static let maximum: Int64 = 253_402_300_799

    /// Seconds since 1970-01-01T00:00:00Z.
    public let seconds: Int64

    /// A pinned time.
    /// - Parameter seconds: Seconds since the epoch, 0...``maximum``.
    public init(seconds: Int64) {
        self.seconds = seconds
    }

    /// Parses a value by the rule above.
    /// - Parameter text: The variable's value, `nil` when unset.
    /// - Returns: The pinned time, or `nil` when `text` is unset or blank.
    /// - Throws: ``SourceDateEpochError/malformed(value:)``.
    public static func parse(_ text: String?) throws(SourceDateEpochError) -> SourceDateEpoch? {
        guard let text else { return nil }
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty { return nil }
        guard trimmed.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let seconds = Int64(trimmed), seconds <= maximum else {
            throw .malformed(value: text)
        }
        return SourceDateEpoch(seconds: seconds)
    }

    /// Reads `SOURCE_DATE_EPOCH` from `environment` by the rule above.
    /// - Parameter environment: An environment (a child's, a test's).
    /// - Returns: The pinned time, or `nil` when unset or blank.
    /// - Throws: ``SourceDateEpochError/malformed(value:)``.
    public static func read(from environment: [String: String]) throws(SourceDateEpochError) -> SourceDateEpoch? {
        try parse(environment[variable])
    }

    /// This process's `SOURCE_DATE_EPOCH`, read from the environment the first time it is asked for and the same
    /// answer ever after (the variable is not consulted again, so a later `setenv` changes nothing).
    /// - Returns: The pinned time, or `nil` when unset or blank.
    /// - Throws: ``SourceDateEpochError/malformed(value:)``, on every call, when the value is malformed.
    public static func current() throws(SourceDateEpochError) -> SourceDateEpoch? {
        try processValue.get()
    }

    private static let processValue: Result<SourceDateEpoch?, SourceDateEpochError> = Result {
        () throws(SourceDateEpochError) -> SourceDateEpoch? in
        try read(from: ProcessInfo.processInfo.environment)
    }

    /// RFC 3339 in UTC without fractions, e.g. `2026-11-25T12:00:00Z` (OCI `created`, SPDX and CycloneDX times).
    public var rfc3339: String { Self.rfc3339(seconds) }

    /// RFC 3339 in UTC without fractions.
    /// - Parameter seconds: Seconds since the epoch.
    /// - Returns: e.g. `2026-11-25T12:00:00Z`.
    public static func rfc3339(_ seconds: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
    }

    /// The time as a `Date`.
    public var date: Date { Date(timeIntervalSince1970: TimeInterval(seconds)) }
}
