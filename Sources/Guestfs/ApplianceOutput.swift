// Keeps the tail of what qemu, the appliance kernel and guestfsd printed, for errors and KVM detection.
import Synchronization

/// A bounded buffer of appliance output lines, fed by libguestfs events.
final class ApplianceOutput: Sendable {
    private let text = Mutex<String>("")
    private let limit: Int
    /// Called for each chunk of output (the build log); never with credentials, the appliance has none.
    let sink: (@Sendable (String) -> Void)?

    init(limit: Int = 16 * 1024, sink: (@Sendable (String) -> Void)?) {
        self.limit = limit
        self.sink = sink
    }

    func append(_ chunk: String) {
        text.withLock { text in
            text += chunk
            if text.utf8.count > limit * 2 {
                text = String(text.suffix(limit))
            }
        }
        sink?(chunk)
    }

    /// The last `limit` characters of output.
    var tail: String {
        text.withLock { String($0.suffix(limit)) }
    }

    func clear() {
        text.withLock { $0 = "" }
    }
}
