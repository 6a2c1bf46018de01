// `LABFORGE_SIGN_KEY` is taken out of the process environment at start, so no child of labforge ever inherits it.
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization

extension SigningKey {
    /// What ``takeFromEnvironment()`` found.
    private enum Taken {
        /// Not called (a library user): ``load(path:environment:)`` reads the environment as it is.
        case notYet
        /// Called: the PEM text, or nil when the variable was unset or empty.
        case text(String?)
    }

    private static let taken = Mutex(Taken.notYet)

    /// Moves ``environmentVariable`` from the process environment into memory: its value is kept for
    /// ``load(path:environment:)``, the variable is unset and its `NAME=value` bytes are overwritten with zeros (for
    /// a variable labforge was started with they lie in the block `/proc/<pid>/environ` shows), so no program
    /// labforge starts inherits it — neither through the process runner nor through libguestfs, which starts qemu
    /// itself.
    ///
    /// Call it once, first thing in `main`, before any thread that reads the environment or any child exists
    /// (`unsetenv` is not thread-safe). Later calls find the variable gone and keep the first value.
    /// - Returns: True when a non-empty key was taken.
    @discardableResult
    public static func takeFromEnvironment() -> Bool {
        guard let value = getenv(environmentVariable) else {
            taken.withLock { if case .notYet = $0 { $0 = .text(nil) } }
            return false
        }
        let text = String(cString: value)
        // Every `NAME=` entry (execve allows duplicates; getenv finds the first, unsetenv removes them all). The
        // entries outlive unsetenv: glibc never frees one.
        let prefix = Array((environmentVariable + "=").utf8CString.dropLast())
        var entries: [UnsafeMutablePointer<CChar>] = []
        var index = 0
        while let entry = environ[index] {
            if strncmp(entry, prefix, prefix.count) == 0 { entries.append(entry) }
            index += 1
        }
        // Fails only for a name that is empty or holds `=`; this one is a constant.
        let removed = unsetenv(environmentVariable)
        precondition(removed == 0, "unsetenv(\(environmentVariable)) failed")
        // Unset first: unsetenv finds the entries by their name, which the overwrite erases.
        for entry in entries { memset(entry, 0, strlen(entry)) }
        taken.withLock { $0 = .text(text.isEmpty ? nil : text) }
        return !text.isEmpty
    }

    /// The PEM text ``takeFromEnvironment()`` kept, else (never taken) the variable as the environment holds it.
    static var environmentText: String? {
        switch taken.withLock({ $0 }) {
        case .text(let text): return text
        case .notYet: return ProcessInfo.processInfo.environment[environmentVariable].flatMap { $0.isEmpty ? nil : $0 }
        }
    }
}
