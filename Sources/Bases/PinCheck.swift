// `labforge bases check`: compares built-in pins with the publishers' live checksum files.
import AsyncHTTPClient
import Foundation
import LabforgeRecipe
import NIOCore

/// The outcome of checking one pin.
public struct PinCheckResult: Sendable, Equatable, Codable {
    /// What the publisher's file says about the pin.
    public enum Status: String, Sendable, Codable {
        /// The pinned checksum is listed.
        case matches
        /// The file is listed with a different checksum.
        case differs
        /// The file is not listed at all.
        case notListed = "not-listed"
        /// The checksum file could not be fetched.
        case unreachable
    }

    /// Base name.
    public var name: String
    /// Checksum file URL.
    public var checksumURL: String
    /// The outcome.
    public var status: Status
    /// The pinned checksum (`algo:hex`).
    public var pinned: String
    /// What the publisher lists for the file, when anything.
    public var published: [String]
    /// Why it was unreachable.
    public var reason: String?
}

/// Checks pins against the publishers' checksum files.
public struct PinCheck: Sendable {
    private let client: HTTPClient
    private let timeout: TimeAmount

    /// Creates a checker.
    /// - Parameters:
    ///   - client: HTTP client.
    ///   - timeout: Per-request timeout.
    public init(client: HTTPClient = .shared, timeout: TimeAmount = .seconds(30)) {
        self.client = client
        self.timeout = timeout
    }

    /// Compares a pin with a checksum file's text (the part `check` does after downloading).
    /// - Parameters:
    ///   - base: The pinned base.
    ///   - text: The checksum file.
    /// - Returns: The outcome (never `unreachable`).
    public static func compare(_ base: WellKnownBase, with text: String) -> PinCheckResult {
        let fileName = URL(string: base.image.url)?.lastPathComponent ?? base.image.url
        let listed = ChecksumFile(parsing: text).checksums(for: fileName)
        let status: PinCheckResult.Status
        if listed.isEmpty {
            status = .notListed
        } else if listed.contains(where: { $0.tagged == base.image.checksum.tagged }) {
            status = .matches
        } else {
            status = .differs
        }
        return PinCheckResult(name: base.image.name, checksumURL: base.checksumURL, status: status,
                              pinned: base.image.checksum.tagged, published: listed.map(\.tagged), reason: nil)
    }

    /// Downloads the base's checksum file and compares.
    /// - Parameter base: The pinned base.
    /// - Returns: The outcome; network failures give `unreachable` rather than throwing.
    public func check(_ base: WellKnownBase) async -> PinCheckResult {
        do {
            let response = try await client.execute(HTTPClientRequest(url: base.checksumURL), timeout: timeout)
            guard response.status.code == 200 else {
                return unreachable(base, "HTTP \(response.status.code)")
            }
            let body = try await response.body.collect(upTo: 16 << 20)
            return Self.compare(base, with: String(buffer: body))
        } catch {
            return unreachable(base, "\(error)")
        }
    }

    /// Checks several pins at once (slow or unreachable sites cost one timeout, not one each).
    /// - Parameter bases: The pinned bases.
    /// - Returns: One result per base, in the same order.
    public func check(_ bases: [WellKnownBase]) async -> [PinCheckResult] {
        await withTaskGroup(of: (Int, PinCheckResult).self) { group in
            for (index, base) in bases.enumerated() {
                group.addTask { (index, await check(base)) }
            }
            var results = [PinCheckResult?](repeating: nil, count: bases.count)
            for await (index, result) in group { results[index] = result }
            return results.compactMap { $0 }
        }
    }

    private func unreachable(_ base: WellKnownBase, _ reason: String) -> PinCheckResult {
        PinCheckResult(name: base.image.name, checksumURL: base.checksumURL, status: .unreachable,
                       pinned: base.image.checksum.tagged, published: [], reason: reason)
    }
}
