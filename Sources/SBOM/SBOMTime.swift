// The `created` time of an SBOM: SOURCE_DATE_EPOCH when set, so the same disk gives the same bytes.
import Foundation
import SourceDate

/// Creation times for SBOM documents.
public enum SBOMTime {
    /// `SOURCE_DATE_EPOCH` (``SourceDateEpoch/current()``, read once per process) when set, else the current time.
    /// - Returns: Seconds since the epoch.
    /// - Throws: ``SourceDateEpochError/malformed(value:)``.
    public static func creation() throws(SourceDateEpochError) -> Int64 {
        try SourceDateEpoch.current()?.seconds ?? Int64(Date().timeIntervalSince1970)
    }

    /// RFC 3339 in UTC without fractions, e.g. `2026-11-29T14:00:00Z` (SPDX's required form).
    /// - Parameter seconds: Seconds since the epoch.
    /// - Returns: The formatted time.
    public static func rfc3339(_ seconds: Int64) -> String {
        SourceDateEpoch.rfc3339(seconds)
    }
}
