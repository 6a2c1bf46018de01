// How many VMs the tests run at once. On a 2-core machine every guest runs under TCG; once tests stopped holding
// the cooperative pool, swift-testing ran ten appliances and guests at once, each got a fifth of a core, and a
// desktop that boots in 3 minutes missed its 7-minute probe window. Each VM-heavy step takes a slot first.
import Foundation
import Synchronization

/// A limit on the VM-heavy steps tests run at once: libguestfs appliances, qemu guests, bootstraps, and the
/// `labforge` commands that start them. `LABFORGE_TEST_VM_SLOTS` sets it (default 2, one per core here).
///
/// Only leaf steps take a slot — a step that waits for nothing another test holds — so a slot holder always
/// makes progress: fixtures take one around their build, not around waiting for another test's build.
/// Nested steps in one task use the slot it already holds.
public enum VMSlots {
    /// Slots at once.
    public static let limit: Int = {
        let value = ProcessInfo.processInfo.environment["LABFORGE_TEST_VM_SLOTS"].flatMap(Int.init) ?? 2
        return max(1, value)
    }()

    @TaskLocal private static var holding = false
    private static let gate = SlotGate(limit: limit)

    /// Runs `body` holding a slot (or the one this task holds already).
    /// - Parameter body: A VM-heavy step.
    /// - Returns: What `body` returns.
    /// - Throws: What `body` throws.
    public static func hold<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        if holding { return try await body() }
        await gate.acquire()
        defer { gate.release() }
        return try await $holding.withValue(true) { try await body() }
    }

    /// Whether a command line starts a VM or a bootstrap: `labforge build|verify|customize|base|sbom`, the libguestfs
    /// tools, qemu itself, mmdebstrap.
    /// - Parameter arguments: Program and arguments.
    /// - Returns: True for a VM-heavy command.
    public static func isHeavy(_ arguments: [String]) -> Bool {
        guard let program = arguments.first.map({ URL(fileURLWithPath: $0).lastPathComponent }) else { return false }
        if program == "labforge" {
            return arguments.count > 1 && ["build", "verify", "customize", "base", "sbom"].contains(arguments[1])
        }
        return program == "guestfish" || program == "mmdebstrap" || program.hasPrefix("virt-") || program.hasPrefix("qemu-system")
    }
}

/// A counting semaphore for tasks: waiters queue in order and suspend without holding a thread.
private final class SlotGate: Sendable {
    private struct State {
        var free: Int
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state: Mutex<State>

    init(limit: Int) { state = Mutex(State(free: limit)) }

    func acquire() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let granted = state.withLock { state -> Bool in
                if state.free > 0 {
                    state.free -= 1
                    return true
                }
                state.waiters.append(continuation)
                return false
            }
            if granted { continuation.resume() }
        }
    }

    func release() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if state.waiters.isEmpty {
                state.free += 1
                return nil
            }
            return state.waiters.removeFirst()
        }
        next?.resume()
    }
}
