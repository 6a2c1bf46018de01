// The home-reset probe: /home on the lab-home disk; a file written there survives a boot with a fresh system disk,
// one written in /etc does not.
import Foundation
import LabforgeRecipe

/// The random marks one verification writes before the reset and looks for after it.
struct HomeResetMarks: Sendable, Equatable {
    /// The lab user, whose home gets the first mark.
    var user: String
    /// Written to ``homeFile``: must be there, equal, after the reset.
    var homeToken: String
    /// Written to ``HomeResetProof/systemFile``: must be gone after the reset.
    var systemToken: String

    /// Fresh marks for `user`.
    /// - Parameter user: The lab user.
    /// - Returns: Marks with random 128-bit tokens.
    static func random(user: String) -> HomeResetMarks {
        func token() -> String { (0..<2).map { _ in String(format: "%016llx", UInt64.random(in: 0...UInt64.max)) }.joined() }
        return HomeResetMarks(user: user, homeToken: token(), systemToken: token())
    }

    /// The file in the user's home.
    var homeFile: String { "/home/\(user)/.labforge-verify-home" }
}

/// Both halves of the home-reset proof, run as root through a ``GuestCommandRunner``: ``write()`` in the primary
/// boot, ``check()`` in the boot after it that has a fresh overlay over the same system disk and the same home disk.
struct HomeResetProof: Sendable {
    /// Which half a boot runs.
    enum Phase: Sendable {
        /// The primary boot: prove /home is the home disk, write the marks.
        case write
        /// The boot after the reset: the home mark kept, the system mark gone.
        case check
    }

    /// The file written in the system disk's /etc.
    static let systemFile = "/etc/labforge-verify-system"

    /// Where the commands run.
    let runner: any GuestCommandRunner
    /// The marks of this verification.
    let marks: HomeResetMarks

    /// Finds /home's device and its label (the lines `source=` and `label=`).
    private static let mountScript = """
        src=$(findmnt -n -o SOURCE --mountpoint /home 2>/dev/null) || src=
        label=
        [ -n "$src" ] && label=$(blkid -s LABEL -o value "$src" 2>/dev/null)
        echo "source=$src"
        echo "label=$label"
        """

    /// The primary boot's half: /home is mounted from the disk labelled ``PersistentHome/diskSerial``; the marks go
    /// to the user's home (owned by the user) and to /etc; `sync`.
    /// - Returns: Where /home is and what was written.
    /// - Throws: ``FinalFailure`` when /home is not the home disk or a mark cannot be written; the runner's errors
    ///   while the guest agent does not answer.
    func write() async throws -> String {
        let user = Self.quoted(marks.user)
        let script = """
            \(Self.mountScript)
            [ -n "$src" ] && [ "$label" = \(PersistentHome.diskSerial) ] || exit 3
            printf '%s\\n' \(marks.homeToken) > \(Self.quoted(marks.homeFile)) && chown \(user): \(Self.quoted(marks.homeFile)) || exit 4
            printf '%s\\n' \(marks.systemToken) > \(Self.systemFile) || exit 5
            sync
            """
        let output = try await runner.run(script, timeout: 60)
        let found = Self.fields(output)
        let mount = "/home on \(found["source"].flatMap { $0.isEmpty ? nil : $0 } ?? "the system disk") (\(found["label"].flatMap { $0.isEmpty ? nil : $0 } ?? "no label"))"
        switch output.status {
        case 0: return "\(mount); wrote \(marks.homeFile) and \(Self.systemFile)"
        case 3: throw FinalFailure("\(mount), not on the disk with serial \(PersistentHome.diskSerial) (is lab-home.service enabled? journalctl -u \(PersistentHome.unitName))")
        case 4: throw FinalFailure("\(mount), but \(marks.homeFile) cannot be written for \(marks.user): \(output.tail())")
        default: throw FinalFailure("\(mount), but \(Self.systemFile) cannot be written (exit \(output.status)): \(output.tail())")
        }
    }

    /// The reset boot's half: /home is the home disk again, the home mark is there and equal, the system mark gone.
    /// - Returns: The proof's detail.
    /// - Throws: ``FinalFailure`` naming the mark that behaved wrongly; the runner's errors while the guest agent does
    ///   not answer.
    func check() async throws -> String {
        let script = """
            \(Self.mountScript)
            echo "home=$(cat \(Self.quoted(marks.homeFile)) 2>/dev/null)"
            if [ -e \(Self.systemFile) ]; then echo system=present; else echo system=gone; fi
            """
        let output = try await runner.run(script, timeout: 60)
        guard output.status == 0 else { throw FinalFailure("reading the marks after the reset failed (exit \(output.status)): \(output.tail())") }
        let found = Self.fields(output)
        let source = found["source"] ?? ""
        let mount = "/home on \(source.isEmpty ? "the system disk" : source) (\(found["label"].flatMap { $0.isEmpty ? nil : $0 } ?? "no label"))"
        guard !source.isEmpty, found["label"] == PersistentHome.diskSerial else {
            throw FinalFailure("after the reset \(mount): the home disk (serial \(PersistentHome.diskSerial)) is not mounted on /home")
        }
        switch found["home"] {
        case marks.homeToken?: break
        case ""?, nil: throw FinalFailure("after a reset with a fresh system disk, \(marks.homeFile) is gone: the home disk did not keep it (\(mount))")
        case let other?: throw FinalFailure("after the reset \(marks.homeFile) holds \(other.debugDescription), not the mark written before it")
        }
        guard found["system"] == "gone" else {
            throw FinalFailure("\(Self.systemFile) survived the reset: the system disk was not fresh (\(mount))")
        }
        return "\(mount); after a reset with a fresh system disk: \(marks.homeFile) kept, \(Self.systemFile) gone"
    }

    /// `key=value` lines of a script's output.
    static func fields(_ output: GuestCommandOutput) -> [String: String] {
        var fields: [String: String] = [:]
        for line in output.stdoutText.split(whereSeparator: \.isNewline) {
            guard let equals = line.firstIndex(of: "=") else { continue }
            fields[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        return fields
    }

    /// A word in single quotes for sh.
    static func quoted(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: #"'\''"#) + "'" }
}
