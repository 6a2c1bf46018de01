// Blobs: HEAD to skip, cross-repository mount, monolithic POST+PUT, chunked PATCH uploads that resume from `Range`.
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import OCI
import Synchronization

/// What an upload cost.
public struct UploadStatistics: Sendable, Equatable {
    /// Blob bytes put on the wire, resends included.
    public var bytesSent: Int64
    /// Times an upload continued from the registry's reported offset after a failure.
    public var resumes: Int
    /// Times an upload started over with a new session.
    public var restarts: Int
}

extension RegistryClient {
    /// Whether the repository already holds a blob (`HEAD /v2/<name>/blobs/<digest>`).
    /// - Parameters:
    ///   - digest: The blob's digest.
    ///   - repository: The repository.
    /// - Returns: True when the registry answers 200.
    /// - Throws: ``RegistryError`` for answers other than 200/404.
    public func blobExists(_ digest: Digest, in repository: RepositoryName) async throws -> Bool {
        let operation = "check of blob \(digest) in \(repository)"
        let response = try await send(RegistryRequest(
            method: .HEAD, url: apiURL(repository, "blobs/\(digest)"), scopes: [Self.pushScope(repository)], operation: operation))
        switch response.status {
        case 200:
            await ledger.record(digest, in: repository)
            return true
        case 404:
            return false
        default:
            throw await failure(response, operation: operation)
        }
    }

    /// Asks the registry to link a blob from another repository (`POST …/uploads/?mount=&from=`).
    /// - Parameters:
    ///   - digest: The blob's digest.
    ///   - repository: The repository to link into.
    ///   - source: The repository holding the blob.
    /// - Returns: True when mounted (201); false when the registry declined (then upload normally).
    /// - Throws: ``RegistryError`` for transport failures beyond the retry budget.
    public func mountBlob(_ digest: Digest, into repository: RepositoryName, from source: RepositoryName) async throws -> Bool {
        let operation = "mount of blob \(digest) from \(source) into \(repository)"
        let response = try await send(RegistryRequest(
            method: .POST,
            url: apiURL(repository, "blobs/uploads/?mount=\(digest)&from=\(source.value)"),
            headers: [("Content-Length", "0")],
            scopes: [Self.pushScope(repository), Self.pullScope(source)], operation: operation))
        if response.status == 201 {
            await ledger.record(digest, in: repository)
            return true
        }
        if response.status == 202, let location = response.headers.first(name: "Location") {
            // The registry opened an ordinary upload instead; close it, the caller uploads.
            _ = try? await send(
                RegistryRequest(
                    method: .DELETE, url: try resolve(location: location, operation: operation),
                    scopes: [Self.pushScope(repository)], operation: operation),
                retrying: false)
        }
        logger.debug("\(operation): declined (HTTP \(response.status))")
        return false
    }

    /// Repositories of this registry known (this run) to hold a blob.
    /// - Parameter digest: The blob's digest.
    /// - Returns: Repositories to try mounting from.
    public func repositories(holding digest: Digest) async -> [RepositoryName] {
        await ledger.repositories(holding: digest)
    }

    /// Uploads a blob from a file: one `PUT` up to ``Options/chunkSize``, else `PATCH` chunks with `Content-Range`
    /// following each `Location`, resuming from the registry's `Range` after failures, then `PUT ?digest=`.
    /// - Parameters:
    ///   - descriptor: The blob's descriptor (digest and size are checked).
    ///   - path: The file holding its bytes.
    ///   - repository: The repository.
    ///   - progress: Called with the bytes the registry holds so far (can go back after a restart).
    /// - Returns: What the upload cost.
    /// - Throws: ``RegistryError`` naming the blob, the registry and its error code.
    public func uploadBlob(
        _ descriptor: Descriptor, file path: String, to repository: RepositoryName,
        progress: @escaping @Sendable (Int64) -> Void = { _ in }
    ) async throws -> UploadStatistics {
        var upload = try BlobUpload(client: self, descriptor: descriptor, file: BlobFile(path: path, expectedSize: descriptor.size),
                                    repository: repository, progress: progress)
        let statistics = try await upload.run()
        await ledger.record(descriptor.digest, in: repository)
        return statistics
    }
}

/// Counts bytes handed to the connection for the current request and in all.
final class UploadMeter: Sendable {
    private let state = Mutex<(base: Int64, inFlight: Int64, sent: Int64)>((0, 0, 0))
    private let progress: @Sendable (Int64) -> Void

    init(progress: @escaping @Sendable (Int64) -> Void) { self.progress = progress }

    /// The registry holds `offset` bytes; a new request starts.
    func reset(to offset: Int64) {
        state.withLock { $0.base = offset; $0.inFlight = 0 }
        progress(offset)
    }

    func add(_ count: Int64) {
        let completed = state.withLock { value -> Int64 in
            value.inFlight += count
            value.sent += count
            return value.base + value.inFlight
        }
        progress(completed)
    }

    var sent: Int64 { state.withLock { $0.sent } }
}

/// One blob upload's state machine.
struct BlobUpload {
    let client: RegistryClient
    let descriptor: Descriptor
    let file: BlobFile
    let repository: RepositoryName
    let meter: UploadMeter
    let operation: String
    var failures = 0
    var resumes = 0
    var restarts = 0

    init(client: RegistryClient, descriptor: Descriptor, file: BlobFile, repository: RepositoryName,
         progress: @escaping @Sendable (Int64) -> Void) {
        self.client = client
        self.descriptor = descriptor
        self.file = file
        self.repository = repository
        meter = UploadMeter(progress: progress)
        operation = "upload of blob \(descriptor.digest) (\(descriptor.size) bytes) to \(repository)"
    }

    private var scopes: [String] { [RegistryClient.pushScope(repository)] }

    /// Counts a failure and waits before the next try, or throws when the budget is spent.
    private mutating func backOff(_ problem: String, retryAfter: Double? = nil) async throws {
        failures += 1
        guard failures < client.options.retry.maxAttempts else {
            throw RegistryError.retriesExhausted(
                operation: operation, registry: client.registry, attempts: failures, lastProblem: problem)
        }
        let delay = client.options.retry.delay(afterAttempt: failures, retryAfter: retryAfter)
        client.logger.warning(
            "\(operation): \(problem); retry \(failures + 1)/\(client.options.retry.maxAttempts) in \(String(format: "%.1f", delay)) s")
        try await Task.sleep(for: .seconds(delay))
    }

    private static func problem(_ response: RegistryResponse) -> String {
        "HTTP \(response.status) " + (response.errors.first ?? .fallback(status: response.status)).description
    }

    mutating func run() async throws -> UploadStatistics {
        while true {
            let location = try await startSession()
            let finished: Bool
            if descriptor.size <= client.options.chunkSize {
                finished = try await putWhole(at: location)
            } else {
                finished = try await putChunks(from: location)
            }
            if finished { return UploadStatistics(bytesSent: meter.sent, resumes: resumes, restarts: restarts) }
            restarts += 1
        }
    }

    /// `POST /v2/<name>/blobs/uploads/` → the session's `Location`.
    private func startSession() async throws -> String {
        let response = try await client.send(RegistryRequest(
            method: .POST, url: client.apiURL(repository, "blobs/uploads/"), headers: [("Content-Length", "0")],
            scopes: scopes, operation: operation))
        guard response.status == 202 else { throw await client.failure(response, operation: operation) }
        meter.reset(to: 0)
        return try client.resolve(location: response.headers.first(name: "Location"), operation: operation)
    }

    private func completionURL(_ location: String) -> String {
        RegistryClient.appendQuery(location, "digest=\(descriptor.digest)")
    }

    private func checkDigest(_ response: RegistryResponse) throws {
        if let reported = response.headers.first(name: "Docker-Content-Digest"), reported != descriptor.digest.description {
            throw RegistryError.digestMismatch(
                operation: operation, registry: client.registry, expected: descriptor.digest, received: reported)
        }
    }

    /// Monolithic: `PUT <location>?digest=` with the whole blob. Returns false to start over.
    private mutating func putWhole(at location: String) async throws -> Bool {
        let file = self.file
        let meter = self.meter
        let size = descriptor.size
        do {
            let response = try await client.send(
                RegistryRequest(
                    method: .PUT, url: completionURL(location), headers: [("Content-Type", "application/octet-stream")],
                    scopes: scopes,
                    body: { (.stream(file.body(0..<size, sent: meter.add), length: .known(size)), size) },
                    operation: operation),
                retrying: false)
            if response.status == 201 {
                try checkDigest(response)
                return true
            }
            guard RetryPolicy.isRetryable(status: response.status) || response.status == 404 else {
                throw await client.failure(response, operation: operation)
            }
            try await backOff(Self.problem(response), retryAfter: Self.retryAfter(response))
            return false
        } catch let error as RegistryError {
            throw error
        } catch {
            if error is CancellationError || Task.isCancelled { throw CancellationError() }
            guard RegistryClient.isTransient(error) else { throw error }
            try await backOff(RegistryClient.describe(error))
            return false
        }
    }

    private static func retryAfter(_ response: RegistryResponse) -> Double? {
        response.headers.first(name: "Retry-After").flatMap { RetryPolicy.parseRetryAfter($0) }
    }

    /// Chunked: `PATCH` pieces, then `PUT ?digest=`. Returns false to start over.
    private mutating func putChunks(from start: String) async throws -> Bool {
        var location = start
        var offset: Int64 = 0
        var resumed = false
        let size = descriptor.size
        let chunk = client.options.chunkSize
        while true {
            var needStatus = false
            do {
                if offset < size {
                    let end = min(offset + chunk, size)
                    let file = self.file
                    let meter = self.meter
                    meter.reset(to: offset)
                    let range = offset..<end
                    let response = try await client.send(
                        RegistryRequest(
                            method: .PATCH, url: location,
                            headers: [("Content-Range", "\(offset)-\(end - 1)"), ("Content-Type", "application/octet-stream")],
                            scopes: scopes,
                            body: { (.stream(file.body(range, sent: meter.add), length: .known(end - range.lowerBound)), end - range.lowerBound) },
                            operation: operation),
                        retrying: false)
                    if response.status == 202 {
                        location = try client.resolve(location: response.headers.first(name: "Location"), operation: operation)
                        offset = Self.offset(fromRange: response.headers.first(name: "Range")) ?? end
                        meter.reset(to: offset)
                        continue
                    }
                    if response.status == 404 {
                        try await backOff(Self.problem(response))
                        return false
                    }
                    guard response.status == 416 || RetryPolicy.isRetryable(status: response.status) else {
                        throw await client.failure(response, operation: operation)
                    }
                    try await backOff(Self.problem(response), retryAfter: Self.retryAfter(response))
                    needStatus = true
                } else {
                    let response = try await client.send(
                        RegistryRequest(
                            method: .PUT, url: completionURL(location), headers: [("Content-Length", "0")], scopes: scopes,
                            operation: operation),
                        retrying: false)
                    if response.status == 201 {
                        try checkDigest(response)
                        return true
                    }
                    if resumed, response.errors.contains(where: { $0.code == "DIGEST_INVALID" }) || response.status == 404 {
                        // The registry kept bytes of a broken request: start over once with a clean session.
                        try await backOff(Self.problem(response))
                        return false
                    }
                    guard RetryPolicy.isRetryable(status: response.status) else {
                        throw await client.failure(response, operation: operation)
                    }
                    try await backOff(Self.problem(response), retryAfter: Self.retryAfter(response))
                    needStatus = true
                }
            } catch let error as RegistryError {
                throw error
            } catch {
                if error is CancellationError || Task.isCancelled {
                    await abandon(location)
                    throw CancellationError()
                }
                guard RegistryClient.isTransient(error) else { throw error }
                try await backOff(RegistryClient.describe(error))
                needStatus = true
            }
            if needStatus {
                guard let status = try await uploadStatus(location) else { return false }
                location = status.location
                offset = status.offset
                resumed = true
                resumes += 1
                client.logger.info("\(operation): resuming at byte \(offset) of \(size)")
                meter.reset(to: offset)
            }
        }
    }

    /// `GET <location>` → the registry's offset and the next location; nil when the session is gone.
    private func uploadStatus(_ location: String) async throws -> (offset: Int64, location: String)? {
        let response = try await client.send(RegistryRequest(method: .GET, url: location, scopes: scopes, operation: operation))
        guard response.status == 204 || response.status == 202 else {
            client.logger.info("\(operation): upload session lost (\(Self.problem(response))); starting over")
            return nil
        }
        let next = (try? client.resolve(location: response.headers.first(name: "Location"), operation: operation)) ?? location
        return (Self.offset(fromRange: response.headers.first(name: "Range")) ?? 0, next)
    }

    /// Best effort: tell the registry an interrupted upload is abandoned.
    private func abandon(_ location: String) async {
        let client = self.client
        let scopes = self.scopes
        let operation = self.operation
        let task = Task.detached {
            _ = try? await client.send(
                RegistryRequest(method: .DELETE, url: location, scopes: scopes, operation: operation), retrying: false)
        }
        await task.value
    }

    /// `0-1023` (or `bytes=0-1023`) → 1024: the next offset.
    static func offset(fromRange header: String?) -> Int64? {
        guard var value = header?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        if let equals = value.firstIndex(of: "=") { value = String(value[value.index(after: equals)...]) }
        let parts = value.split(separator: "-")
        guard parts.count == 2, let last = Int64(parts[1]) else { return nil }
        // distribution answers `0-0` for an empty upload.
        return last == 0 ? 0 : last + 1
    }
}
