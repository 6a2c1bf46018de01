// Asks the Debian mirror whether the archives a bootstrap installs from changed, at most every N hours.
import Crypto
import Foundation
import LabforgeRecipe

extension BaseImageStore {
    /// The `InRelease` files of the archives a bootstrap installs from (suite, `-updates`, `-security`).
    /// - Parameter spec: The bootstrap.
    /// - Returns: URLs in the order of the apt sources.
    public func inReleaseURLs(for spec: DebianBootstrap) -> [String] {
        bootstrapper.sources(for: spec.suite).compactMap { line in
            // "deb <mirror> <suite> main"
            let fields = line.split(separator: " ")
            guard fields.count >= 3 else { return nil }
            let mirror = fields[1].hasSuffix("/") ? String(fields[1].dropLast()) : String(fields[1])
            return "\(mirror)/dists/\(fields[2])/InRelease"
        }
    }

    /// Where the last known state of a bootstrap's archives is kept (one file per set of URLs).
    func archiveStatePath(for spec: DebianBootstrap) -> String {
        let hex = SHA256.hash(data: Data(inReleaseURLs(for: spec).joined(separator: "\n").utf8)).map { String(format: "%02x", $0) }.joined()
        return "\(cache.archives)/\(spec.suite)-\(hex.prefix(16)).json"
    }

    /// The state recorded by the last successful check, without asking the mirror.
    /// - Parameter spec: The bootstrap.
    /// - Returns: The state, or `nil` when the archives were never checked with this cache.
    public func lastKnownArchiveState(for spec: DebianBootstrap) -> ArchiveState? {
        guard let data = FileManager.default.contents(atPath: archiveStatePath(for: spec)) else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        guard let state = try? decoder.decode(ArchiveState.self, from: data), state.releases.map(\.url) == inReleaseURLs(for: spec) else { return nil }
        return state
    }

    /// The archives' current state: the recorded one when younger than ``archivePolicy``'s maximum age
    /// (and no refresh was asked for), else fetched from the mirror and recorded. When the mirror cannot
    /// be reached, the last known state is used and the log says so.
    /// - Parameters:
    ///   - spec: The bootstrap.
    ///   - now: The current time (tests pass their own).
    /// - Returns: The state whose digests key the base.
    /// - Throws: ``BasesError/archiveUnreachable(url:reason:)`` when the mirror cannot be reached and
    ///   there is no earlier state.
    @discardableResult
    public func checkArchive(for spec: DebianBootstrap, now: Date = Date()) async throws -> ArchiveState {
        let known = lastKnownArchiveState(for: spec)
        if let known, !archivePolicy.refresh {
            let age = now.timeIntervalSince(known.checkedAt)
            let limit = Double(archivePolicy.maximumAge.components.seconds)
            if age >= 0, age < limit { return known }
        }
        var releases: [ArchiveState.Release] = []
        for url in inReleaseURLs(for: spec) {
            do {
                releases.append(ArchiveState.release(url: url, contents: try await downloader.fetch(url: url)))
            } catch {
                let reason: String
                if case let BasesError.downloadFailed(_, _, cause) = error { reason = cause } else { reason = "\(error)" }
                guard let known else { throw BasesError.archiveUnreachable(url: url, reason: reason) }
                let checked = ISO8601DateFormatter().string(from: known.checkedAt)
                logger.warning("cannot reach \(url) (\(reason)); using the archive state last checked at \(checked): Debian updates published since then are not in this base")
                return known
            }
        }
        // Whole seconds: the record is ISO 8601, and a state read back must equal the one returned.
        let state = ArchiveState(releases: releases, checkedAt: Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down)))
        if let known, known.keyInput != state.keyInput {
            logger.info("Debian archives changed since \(ISO8601DateFormatter().string(from: known.checkedAt)) (newest release date \(state.newestDate ?? "unknown")): bootstrapped bases are rebuilt")
        }
        try record(state, for: spec)
        return state
    }

    private func record(_ state: ArchiveState, for spec: DebianBootstrap) throws {
        try cache.prepare()
        do {
            let encoder = JSONEncoder()
            encoder.dateEncodingStrategy = .iso8601
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(state).write(to: URL(fileURLWithPath: archiveStatePath(for: spec)), options: .atomic)
        } catch {
            throw BasesError.cacheUnusable(path: cache.archives, reason: "\(error)")
        }
    }
}
