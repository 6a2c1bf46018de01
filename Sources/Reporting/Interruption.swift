// Removes registered temporary paths when the process is interrupted (Ctrl-C, SIGTERM).
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization

/// Temp paths that must not outlive an interrupted run. Work registers a path while it writes it and
/// unregisters it once renamed into place; on SIGINT/SIGTERM the CLI removes what is registered and exits.
public enum Interruption {
    private static let paths = Mutex<Set<String>>([])
    /// Keeps the signal sources alive for the life of the process.
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []

    /// Registers a temp path to remove if the process is interrupted.
    /// - Parameter path: A file or directory being written.
    public static func register(_ path: String) {
        _ = paths.withLock { $0.insert(path) }
    }

    /// Forgets a path (it was renamed into place or removed).
    /// - Parameter path: A path given to ``register(_:)``.
    public static func unregister(_ path: String) {
        _ = paths.withLock { $0.remove(path) }
    }

    /// Installs SIGINT/SIGTERM handlers that remove registered paths, run `onInterrupt`, and exit
    /// with 130 (SIGINT) or 143 (SIGTERM). Call once, from the CLI.
    /// - Parameter onInterrupt: Extra cleanup (stop child processes), run before exiting.
    public static func installHandlers(onInterrupt: @escaping @Sendable () -> Void = {}) {
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler {
                let pending = paths.withLock { $0 }
                for path in pending { try? FileManager.default.removeItem(atPath: path) }
                onInterrupt()
                FileHandle.standardError.write(Data("\ninterrupted; removed \(pending.count) unfinished output(s)\n".utf8))
                exit(128 + signalNumber)
            }
            source.resume()
            sources.append(source)
        }
    }
}
