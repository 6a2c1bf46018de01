// The `created` time of an SBOM: SOURCE_DATE_EPOCH when set, so the same disk gives the same bytes.
import Foundation

/// Creation times for SBOM documents.
public enum SBOMTime {
    /// `SOURCE_DATE_EPOCH` when set to a number, else the current time.
    /// - Parameter environment: The process environment.
    /// - Returns: Seconds since the epoch.
    public static func creation(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> Int64 {
        environment["SOURCE_DATE_EPOCH"].flatMap { Int64($0.trimmingCharacters(in: .whitespaces)) } ?? Int64(Date().timeIntervalSince1970)
    }

    /// RFC 3339 in UTC without fractions, e.g. `2026-11-29T14:00:00Z` (SPDX's required form).
    /// - Parameter seconds: Seconds since the epoch.
    /// - Returns: The formatted time.
    public static func rfc3339(_ seconds: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
    }
}
