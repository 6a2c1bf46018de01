// HTTP GET and WebSocket sessions against the guest's forwarded web ports, over swift-nio.
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import Synchronization

/// What a probe attempt found wrong; the message ends up in the report.
struct ProbeFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Runs `body`, failing with `message` when it takes longer than `seconds`. The bound holds even for a body that does
/// not answer cancellation (a read on a dedicated thread, a peer that never closes): at the limit the body is
/// cancelled and left to end on its own, its result dropped, and the caller goes on.
func withTimeout<T: Sendable>(
    _ seconds: Double, _ message: String, _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    let race = TimeoutRace<T>()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let work = Task {
                do { race.finish(.success(try await body())) } catch { race.finish(.failure(error)) }
            }
            let timer = Task {
                do { try await Task.sleep(for: .milliseconds(Int(seconds * 1000))) } catch { return }
                race.finish(.failure(ProbeFailure(message)))
            }
            race.start(continuation, tasks: [work, timer])
        }
    } onCancel: {
        race.finish(.failure(CancellationError()))
    }
}

/// The first of a body's result, its time limit and the caller's cancellation to arrive resumes the caller once;
/// then both tasks are cancelled.
private final class TimeoutRace<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T, any Error>?
        var tasks: [Task<Void, Never>] = []
        /// An outcome that came before the continuation was there (a cancellation before the start).
        var early: Result<T, any Error>?
        var done = false
    }
    private let state = Mutex(State())

    /// Hands over the caller's continuation and the tasks to cancel at the end.
    func start(_ continuation: CheckedContinuation<T, any Error>, tasks: [Task<Void, Never>]) {
        let early: Result<T, any Error>? = state.withLock { state in
            if let early = state.early {
                state.done = true
                return early
            }
            state.continuation = continuation
            state.tasks = tasks
            return nil
        }
        if let early {
            for task in tasks { task.cancel() }
            continuation.resume(with: early)
        }
    }

    /// Resumes the caller with `outcome` unless something came first.
    func finish(_ outcome: Result<T, any Error>) {
        let taken: (CheckedContinuation<T, any Error>, [Task<Void, Never>])? = state.withLock { state in
            guard !state.done else { return nil }
            guard let continuation = state.continuation else {
                if state.early == nil { state.early = outcome }
                return nil
            }
            state.done = true
            defer { state.continuation = nil; state.tasks = [] }
            return (continuation, state.tasks)
        }
        guard let (continuation, tasks) = taken else { return }
        for task in tasks { task.cancel() }
        continuation.resume(with: outcome)
    }
}

/// A minimal HTTP/1.1 and WebSocket client for probing 127.0.0.1 ports.
enum WebClient {
    /// A finished HTTP response.
    struct Response: Sendable {
        var status: Int
        var body: Data
    }

    /// `GET http://127.0.0.1:port/path`, reading the whole body (ttyd's page is ~730 kB; reading to the end avoids
    /// mistaking a cut-off transfer for an answer).
    static func get(port: Int, path: String, headers: [(String, String)] = [], limit: Int = 8 << 20) async throws -> Response {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(5))
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: uri(path))
            head.headers.add(name: "Host", value: "127.0.0.1:\(port)")
            head.headers.add(name: "User-Agent", value: "labforge-verify")
            head.headers.add(name: "Connection", value: "close")
            for (name, value) in headers { head.headers.add(name: name, value: value) }
            try await outbound.write(.head(head))
            try await outbound.write(.end(nil))
            var status = 0
            var body = Data()
            for try await part in inbound {
                switch part {
                case .head(let response): status = Int(response.status.code)
                case .body(let buffer):
                    if body.count < limit { body.append(contentsOf: buffer.readableBytesView) }
                case .end: return Response(status: status, body: body)
                }
            }
            throw ProbeFailure("connection closed before the response ended (status \(status), \(body.count) bytes)")
        }
    }

    /// The outcome of a WebSocket upgrade request.
    enum Upgrade: Sendable {
        case upgraded(NIOAsyncChannel<WebSocketFrame, WebSocketFrame>, subprotocol: String?)
        case refused(status: Int)
    }

    /// Opens a WebSocket to `ws://127.0.0.1:port/path` asking for `subprotocol`, with the `Origin` a browser showing
    /// the agent's own page sends (`http://127.0.0.1:port`), or `origin` instead.
    /// - Returns: The upgraded channel (use `executeThenClose`), or the status of a refused upgrade.
    static func webSocket(
        port: Int, path: String, subprotocol: String, headers extra: [(String, String)] = [], origin: String? = nil
    ) async throws -> Upgrade {
        let result: EventLoopFuture<Upgrade> = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(5))
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let upgrader = NIOTypedWebSocketClientUpgrader<Upgrade>(maxFrameSize: 1 << 22) { channel, response in
                        channel.eventLoop.makeCompletedFuture {
                            let websocket = try NIOAsyncChannel<WebSocketFrame, WebSocketFrame>(wrappingChannelSynchronously: channel)
                            return Upgrade.upgraded(websocket, subprotocol: response.headers.first(name: "Sec-WebSocket-Protocol"))
                        }
                    }
                    var headers = HTTPHeaders()
                    headers.add(name: "Host", value: "127.0.0.1:\(port)")
                    headers.add(name: "Origin", value: origin ?? "http://127.0.0.1:\(port)")
                    headers.add(name: "Sec-WebSocket-Protocol", value: subprotocol)
                    headers.add(name: "Content-Length", value: "0")
                    for (name, value) in extra { headers.add(name: name, value: value) }
                    let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: uri(path), headers: headers)
                    let configuration = NIOTypedHTTPClientUpgradeConfiguration<Upgrade>(
                        upgradeRequestHead: head, upgraders: [upgrader],
                        notUpgradingCompletionHandler: { channel in
                            channel.eventLoop.makeCompletedFuture {
                                _ = channel.close()
                                return Upgrade.refused(status: 0)
                            }
                        })
                    // What follows the 101 in the same read is the first WebSocket data: websockify forwards the
                    // VNC server's banner at once, and on a loaded machine both arrive together. NIO's default drops
                    // the bytes left in the HTTP decoder; the RFB handshake then waited for a banner that had come
                    // and gone while the server waited for the client (seen in CI: a desktop proof hung until its
                    // suite's limit). They are passed on to the WebSocket decoder instead.
                    var pipeline = NIOUpgradableHTTPClientPipelineConfiguration(upgradeConfiguration: configuration)
                    pipeline.leftOverBytesStrategy = .forwardBytes
                    return try channel.pipeline.syncOperations.configureUpgradableHTTPClientPipeline(configuration: pipeline)
                }
            }
        return try await result.get()
    }

    /// The request target for a path written with or without its leading slash (`ws`, `/ws`, `/term/ws`).
    static func uri(_ path: String) -> String {
        "/" + path.drop { $0 == "/" }
    }

    /// A binary frame from the client (clients must mask, RFC 6455 §5.3).
    static func clientFrame(_ bytes: [UInt8]) -> WebSocketFrame {
        WebSocketFrame(fin: true, opcode: .binary, maskKey: .random(), data: ByteBuffer(bytes: bytes))
    }
}
