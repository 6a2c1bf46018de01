// Every time field comes from SOURCE_DATE_EPOCH, or from a fixed value, so builds are reproducible.
import Foundation
import SourceDate

/// The build timestamp used in tar headers and image metadata.
public enum ReproducibleTime {
    /// Used when `SOURCE_DATE_EPOCH` is unset: 1970-01-01T00:00:00Z.
    public static let fallback: Int64 = 0

    /// `SOURCE_DATE_EPOCH` (``SourceDateEpoch/current()``, read once per process) when set, else ``fallback``.
    /// A malformed value never gets here in labforge, which refuses it when it starts; a library caller that did not
    /// call ``SourceDateEpoch/current()`` first gets ``fallback`` for one.
    /// - Returns: Seconds since the epoch.
    public static func fromEnvironment() -> Int64 {
        do {
            return try SourceDateEpoch.current()?.seconds ?? fallback
        } catch {
            return fallback
        }
    }

    /// RFC 3339 in UTC, e.g. `2026-11-25T12:00:00Z`.
    /// - Parameter seconds: Seconds since the epoch.
    /// - Returns: The formatted time.
    public static func rfc3339(_ seconds: Int64) -> String {
        SourceDateEpoch.rfc3339(seconds)
    }
}
