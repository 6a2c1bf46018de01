// Streams a URL to a file, hashing as bytes arrive; resumes partial files with Range; retries with backoff.
import AsyncHTTPClient
import Foundation
import LabforgeRecipe
import Logging
import NIOCore
import NIOHTTP1
import Reporting
import Synchronization

/// Downloads one file and verifies it against a pinned checksum.
public struct Downloader: Sendable {
    /// How many times a failed transfer is tried in all.
    public var attempts: Int
    /// Wait before the second attempt; doubled for each further one.
    public var initialBackoff: Duration
    /// Longest wait for the response head before an attempt is abandoned (and resumed).
    public var readTimeout: TimeAmount
    /// Longest silence within the body before an attempt is abandoned (and resumed): 2 minutes by default. The
    /// connection measures it, so it also counts the time a process takes to consume what arrived; labforge keeps
    /// blocking work off the cooperative pool (``DedicatedThread``), so that time stays short.
    public var bodyIdleTimeout: TimeAmount
    private let explicitClient: HTTPClient?
    private let logger: Logger
    // Created on first use (it starts event-loop threads). AsyncHTTPClient's per-request deadline ends at the
    // response head; the client's read timeout is what bounds silence while the body streams.
    private var client: HTTPClient { explicitClient ?? DownloadClients.client(idleTimeout: bodyIdleTimeout) }

    /// Creates a downloader.
    /// - Parameters:
    ///   - attempts: Tries in all (≥ 1).
    ///   - initialBackoff: First wait between tries; doubles each time.
    ///   - readTimeout: Abandon an attempt when no response head came within this time.
    ///   - bodyIdleTimeout: Abandon an attempt after this much silence within the body (2 minutes by default).
    ///   - client: HTTP client (`nil`: one configured with `bodyIdleTimeout` as its idle read timeout, created on
    ///     first download); a client given here brings its own read timeout.
    ///   - logger: Retries are logged here.
    public init(
        attempts: Int = 5, initialBackoff: Duration = .seconds(1), readTimeout: TimeAmount = .seconds(60),
        bodyIdleTimeout: TimeAmount = .minutes(2), client: HTTPClient? = nil, logger: Logger = Logger(label: "labforge.bases")
    ) {
        self.attempts = max(1, attempts)
        self.initialBackoff = initialBackoff
        self.readTimeout = readTimeout
        self.bodyIdleTimeout = bodyIdleTimeout
        self.explicitClient = client
        self.logger = logger
    }

    /// Downloads `url` into `partialPath`, resuming what is already there, and checks the result.
    ///
    /// On a checksum mismatch the partial file is removed (so the next try starts clean); on a
    /// transfer failure it is kept (so the next try resumes it).
    /// - Parameters:
    ///   - url: http(s) URL.
    ///   - checksum: Expected checksum of the complete file.
    ///   - partialPath: Where bytes accumulate.
    ///   - subject: Named in progress events.
    ///   - progress: Receives `download` byte counts.
    /// - Throws: ``BasesError/checksumMismatch(url:expected:got:)``, ``BasesError/httpStatus(url:status:attempt:)``,
    ///   ``BasesError/downloadFailed(url:attempts:reason:)``, ``BasesError/cacheUnusable(path:reason:)`` when
    ///   `partialPath` cannot be opened for writing.
    public func download(url: String, checksum: Checksum, to partialPath: String, subject: String, progress: any ProgressReporter) async throws {
        var lastError: (any Error)?
        for attempt in 1...attempts {
            try Task.checkCancellation()
            if attempt > 1 {
                let wait = initialBackoff * (1 << min(attempt - 2, 6))
                logger.warning("retrying download of \(url) in \(wait) (attempt \(attempt) of \(attempts)): \(lastError.map { "\($0)" } ?? "")")
                try await Task.sleep(for: wait)
            }
            do {
                let digest = try await transfer(url: url, checksum: checksum, to: partialPath, subject: subject, attempt: attempt, progress: progress)
                guard digest == checksum.hex else {
                    try? FileManager.default.removeItem(atPath: partialPath)
                    throw BasesError.checksumMismatch(url: url, expected: checksum.tagged, got: "\(checksum.algorithm):\(digest)")
                }
                return
            } catch let error as BasesError {
                switch error {
                case let .httpStatus(_, status, _) where status >= 500 || status == 408 || status == 429:
                    lastError = error
                default:
                    throw error
                }
            } catch let error as TransientFailure {
                lastError = error
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                lastError = error
            }
        }
        throw BasesError.downloadFailed(url: url, attempts: attempts, reason: lastError.map { "\($0)" } ?? "unknown")
    }

    /// Fetches a small file into memory in one attempt (no retries: callers that can live without it,
    /// such as the archive check, fall back at once instead of waiting through backoffs).
    /// - Parameters:
    ///   - url: http(s) URL.
    ///   - maximumBytes: Refuse bodies larger than this.
    ///   - timeout: Give up after this long.
    /// - Returns: The body.
    /// - Throws: ``BasesError/httpStatus(url:status:attempt:)``, ``BasesError/downloadFailed(url:attempts:reason:)``.
    public func fetch(url: String, maximumBytes: Int = 4 << 20, timeout: TimeAmount = .seconds(10)) async throws -> Data {
        do {
            let response = try await client.execute(HTTPClientRequest(url: url), timeout: timeout)
            guard response.status.code == 200 else { throw BasesError.httpStatus(url: url, status: response.status.code, attempt: 1) }
            let body = try await response.body.collect(upTo: maximumBytes)
            return Data(body.readableBytesView)
        } catch let error as BasesError {
            throw error
        } catch {
            throw BasesError.downloadFailed(url: url, attempts: 1, reason: "\(error)")
        }
    }

    /// One attempt: asks for the missing bytes, appends them, and returns the digest of the whole file.
    private func transfer(url: String, checksum: Checksum, to path: String, subject: String, attempt: Int, progress: any ProgressReporter) async throws -> String {
        let fileManager = FileManager.default
        var have = ((try? fileManager.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.int64Value ?? 0
        var request = HTTPClientRequest(url: url)
        if have > 0 { request.headers.add(name: "Range", value: "bytes=\(have)-") }
        let response = try await client.execute(request, timeout: readTimeout)

        var total: Int64?
        switch response.status.code {
        case 200:
            // The server ignored Range (or we asked for none): start over.
            have = 0
            total = response.headers.first(name: "Content-Length").flatMap { Int64($0) }
        case 206:
            total = Self.totalFromContentRange(response.headers.first(name: "Content-Range"))
            if let start = Self.startFromContentRange(response.headers.first(name: "Content-Range")), start != have {
                try? fileManager.removeItem(atPath: path)
                throw TransientFailure(reason: "server resumed at byte \(start) instead of \(have); starting over")
            }
        case 416 where have > 0:
            // Nothing left to send: either complete already or the file changed; the hash decides.
            var digest = StreamingDigest(matching: checksum)
            try digest.update(contentsOf: path, upTo: have)
            return digest.finalize()
        default:
            throw BasesError.httpStatus(url: url, status: response.status.code, attempt: attempt)
        }

        // Created when missing (0666 before the umask, as FileManager creates files), emptied when starting over.
        let descriptor = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (have == 0 ? O_TRUNC : 0), 0o666)
        guard descriptor >= 0 else {
            throw BasesError.cacheUnusable(path: path, reason: "cannot open for writing: \(String(cString: strerror(errno)))")
        }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        defer { try? handle.close() }
        if have > 0 { try handle.seek(toOffset: UInt64(have)) }

        var digest = StreamingDigest(matching: checksum)
        try digest.update(contentsOf: path, upTo: have)
        var done = have
        progress.report(ProgressEvent(subject: subject, stage: "download", detail: url, completed: done, total: total))
        var lastReport = ContinuousClock.now
        for try await buffer in response.body {
            try buffer.withUnsafeReadableBytes { bytes in
                digest.update(bytes)
                try handle.write(contentsOf: bytes)
            }
            done += Int64(buffer.readableBytes)
            let now = ContinuousClock.now
            if now - lastReport > .milliseconds(200) {
                lastReport = now
                progress.report(ProgressEvent(subject: subject, stage: "download", detail: url, completed: done, total: total))
            }
        }
        if let total, done < total {
            throw TransientFailure(reason: "connection closed after \(done) of \(total) bytes")
        }
        progress.report(ProgressEvent(subject: subject, stage: "download", detail: url, completed: done, total: total ?? done, finished: true))
        return digest.finalize()
    }

    /// `bytes 100-199/1000` → 1000.
    static func totalFromContentRange(_ value: String?) -> Int64? {
        guard let value, let slash = value.lastIndex(of: "/") else { return nil }
        return Int64(value[value.index(after: slash)...])
    }

    /// `bytes 100-199/1000` → 100.
    static func startFromContentRange(_ value: String?) -> Int64? {
        guard let value, let space = value.firstIndex(of: " "), let dash = value.firstIndex(of: "-") else { return nil }
        return Int64(value[value.index(after: space)..<dash])
    }
}

/// A failure worth another attempt (the partial file is kept and resumed).
struct TransientFailure: Error, CustomStringConvertible {
    var reason: String
    var description: String { reason }
}

/// One HTTP client per idle timeout, for the life of the process (as `HTTPClient.shared` is).
enum DownloadClients {
    private static let clients = Mutex<[Int64: HTTPClient]>([:])

    /// The client whose read timeout is `idleTimeout`.
    static func client(idleTimeout: TimeAmount) -> HTTPClient {
        clients.withLock { clients in
            if let client = clients[idleTimeout.nanoseconds] { return client }
            var configuration = HTTPClient.Configuration()
            configuration.timeout = HTTPClient.Configuration.Timeout(connect: .seconds(30), read: idleTimeout)
            let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
            clients[idleTimeout.nanoseconds] = client
            return client
        }
    }
}
