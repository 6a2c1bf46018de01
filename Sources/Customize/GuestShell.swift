// Runs shell scripts in the mounted guest, capturing output and exit status for the log and for errors.
import Foundation
import Guestfs
import LabforgeRecipe

/// Runs scripts in the guest, chrooted at its root (in the appliance, or in a host tree).
struct GuestShell {
    let guest: any GuestFileSystem
    let log: @Sendable (String) -> Void

    /// What every script starts with: a non-interactive, predictable environment.
    static let prelude = """
        export DEBIAN_FRONTEND=noninteractive DEBCONF_NONINTERACTIVE_SEEN=true LC_ALL=C LANG=C HOME=/root
        export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

        """
    static let scriptPath = "/tmp/labforge-step.sh"
    static let statusMarker = "labforge-exit-status="

    /// Runs `script`; its standard output and error go to the build log.
    /// - Parameters:
    ///   - script: A `/bin/sh` script.
    ///   - label: The command as shown in errors (the script itself when `nil`).
    /// - Returns: Everything it printed.
    /// - Throws: ``CustomizeError/commandFailed(command:status:outputTail:)`` on a non-zero exit.
    @discardableResult
    func run(_ script: String, label: String? = nil) throws -> String {
        let shown = Self.shownCommand(script, label: label)
        log("$ \(shown)\n")
        // The script goes through a file: no quoting limits, and `sh` reports its exit status to us
        // instead of libguestfs keeping only standard error.
        try guest.write(Data((Self.prelude + script + "\n").utf8), to: Self.scriptPath)
        let raw: String
        do {
            raw = try guest.shell("/bin/sh \(Self.scriptPath) 2>&1; echo \"\(Self.statusMarker)$?\"")
        } catch {
            throw CustomizeError.commandFailed(command: shown, status: -1, outputTail: "\(error)")
        }
        var output = raw
        var status: Int32 = 0
        if let range = raw.range(of: Self.statusMarker, options: .backwards) {
            status = Int32(raw[range.upperBound...].trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
            output = String(raw[..<range.lowerBound])
        }
        if !output.isEmpty { log(output.hasSuffix("\n") ? output : output + "\n") }
        try? guest.removeRecursively(Self.scriptPath)
        guard status == 0 else {
            throw CustomizeError.commandFailed(command: shown, status: status, outputTail: Self.tail(of: output))
        }
        return output
    }

    /// How a command appears in the build log and in errors: the label or the script, with password hashes and
    /// password-setting lines redacted (``SecretRedaction``).
    /// - Parameters:
    ///   - script: The script run.
    ///   - label: What to show instead, if anything.
    /// - Returns: The text logged after `$ `.
    static func shownCommand(_ script: String, label: String? = nil) -> String {
        SecretRedaction.script(label ?? script.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Whether `script` exits 0 (its output still goes to the log).
    func succeeds(_ script: String) throws -> Bool {
        do {
            try run(script)
            return true
        } catch CustomizeError.commandFailed {
            return false
        }
    }

    /// The last 20 lines of `output`.
    static func tail(of output: String, lines: Int = 20) -> String {
        output.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
