// The state of the Debian archives a bootstrap installs from: the sha256 of each InRelease file, checked at most every N hours.
import Crypto
import Foundation

/// What the suite, `-updates` and `-security` archives looked like when last checked.
///
/// The digests go into a bootstrap's cache key, so a base is rebuilt exactly when Debian published
/// something (a point release, an update, a security fix) and reused otherwise.
public struct ArchiveState: Codable, Sendable, Equatable {
    /// One archive's `InRelease` file.
    public struct Release: Codable, Sendable, Equatable {
        /// URL of the `InRelease` file.
        public var url: String
        /// Lower-case hex sha256 of the file.
        public var sha256: String
        /// Its `Date:` field (when the archive was last published), if present.
        public var date: String?

        /// Creates a release record.
        public init(url: String, sha256: String, date: String?) {
            self.url = url
            self.sha256 = sha256
            self.date = date
        }
    }

    /// The archives, in the order of the apt sources.
    public var releases: [Release]
    /// When the mirror was last asked.
    public var checkedAt: Date

    /// Creates a state.
    public init(releases: [Release], checkedAt: Date) {
        self.releases = releases
        self.checkedAt = checkedAt
    }

    /// The text hashed into a bootstrap's cache key: URL and digest of each archive (not the check time).
    public var keyInput: String {
        releases.map { "\($0.url) \($0.sha256)" }.joined(separator: "\n")
    }

    /// The newest `Date:` among the archives: the archive date shown for an image.
    public var newestDate: String? {
        let parsed = releases.compactMap { release in release.date.flatMap(Self.parseDate).map { ($0, release.date!) } }
        return parsed.max { $0.0 < $1.0 }?.1
    }

    /// The newest `Date:` among the archives as RFC 3339 (`2025-11-08T10:23:14Z`): the catalog's archive date.
    public var newestDateRFC3339: String? {
        releases.compactMap { $0.date.flatMap(Self.parseDate) }.max().map { $0.formatted(.iso8601) }
    }

    /// Builds a release record from an `InRelease` file's bytes.
    /// - Parameters:
    ///   - url: Where it came from.
    ///   - contents: The file.
    public static func release(url: String, contents: Data) -> Release {
        let hex = SHA256.hash(data: contents).map { String(format: "%02x", $0) }.joined()
        let text = String(decoding: contents.prefix(64 << 10), as: UTF8.self)
        let date = text.split(separator: "\n").first { $0.hasPrefix("Date: ") }.map { String($0.dropFirst(6)).trimmingCharacters(in: .whitespaces) }
        return Release(url: url, sha256: hex, date: date)
    }

    /// Parses an RFC 2822 date as Release files write it (`Sat, 08 Nov 2025 10:23:14 UTC`).
    static func parseDate(_ text: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: text)
    }
}

/// How often the archives are asked for their `InRelease` files.
public struct ArchiveCheckPolicy: Sendable, Equatable {
    /// A state younger than this is used without asking the mirror.
    public var maximumAge: Duration
    /// Ask the mirror now, whatever the age of the last check (`--refresh`).
    public var refresh: Bool

    /// Creates a policy.
    /// - Parameters:
    ///   - maximumAge: Check at most this often (6 hours by default).
    ///   - refresh: Check now.
    public init(maximumAge: Duration = .seconds(6 * 3600), refresh: Bool = false) {
        self.maximumAge = maximumAge
        self.refresh = refresh
    }
}
