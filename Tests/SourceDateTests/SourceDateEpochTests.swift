// SOURCE_DATE_EPOCH's one rule: unset or blank is not pinned, digits are seconds, anything else is refused by name.
import Foundation
import SourceDate
import Testing
import TestSupport

@Suite("SourceDateEpoch")
struct SourceDateEpochTests {
    @Test("unset and blank mean not pinned")
    func unset() throws {
        #expect(try SourceDateEpoch.read(from: [:]) == nil)
        #expect(try SourceDateEpoch.read(from: ["SOURCE_DATE_EPOCH": ""]) == nil)
        #expect(try SourceDateEpoch.read(from: ["SOURCE_DATE_EPOCH": "  "]) == nil)
    }

    @Test("a whole number of seconds is the time, surrounding spaces trimmed")
    func set() throws {
        #expect(try SourceDateEpoch.read(from: ["SOURCE_DATE_EPOCH": "1764115200"])?.seconds == 1_764_115_200)
        #expect(try SourceDateEpoch.read(from: ["SOURCE_DATE_EPOCH": " 1764115200 "])?.seconds == 1_764_115_200)
        #expect(try SourceDateEpoch.read(from: ["SOURCE_DATE_EPOCH": "0"])?.seconds == 0)
        #expect(try SourceDateEpoch.parse("253402300799")?.rfc3339 == "9999-12-31T23:59:59Z")
        #expect(try SourceDateEpoch.parse("1764115200")?.rfc3339 == "2025-11-26T00:00:00Z")
    }

    @Test("garbage is refused naming the value", arguments: ["abc", "-1", "+5", "1.5", "1e9", "0x10", "17 00", "253402300800", "99999999999999999999"])
    func garbage(value: String) throws {
        #expect(throws: SourceDateEpochError.malformed(value: value)) { try SourceDateEpoch.read(from: ["SOURCE_DATE_EPOCH": value]) }
        let message = SourceDateEpochError.malformed(value: value).description
        #expect(message.hasPrefix("SOURCE_DATE_EPOCH is '\(value)', not a whole number of seconds"))
    }

    @Test("the process's value is the environment's, the same on every call")
    func readOnce() throws {
        // The environment is not changed here: tests run in parallel in one process, and others read it.
        let expected = try SourceDateEpoch.read(from: ProcessInfo.processInfo.environment)
        #expect(try SourceDateEpoch.current() == expected)
        #expect(try SourceDateEpoch.current() == expected)
    }

    @Test("labforge refuses to start a command with a malformed SOURCE_DATE_EPOCH, naming it; help still shows")
    func commandRefused() async throws {
        let arguments = ["package", "/nonexistent/disk.qcow2", "-o", "/nonexistent/layout", "--name", "labs/epoch", "--tag", "1"]
        let refused = try await Command.labforge(arguments, environment: ["SOURCE_DATE_EPOCH": "yesterday"])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("SOURCE_DATE_EPOCH is 'yesterday', not a whole number of seconds"), "\(refused.stderr)")
        // A valid value passes the check: the command goes on to fail on the missing disk.
        let accepted = try await Command.labforge(arguments, environment: ["SOURCE_DATE_EPOCH": "1764115200"])
        #expect(accepted.status != 0)
        #expect(!accepted.stderr.contains("SOURCE_DATE_EPOCH"), "\(accepted.stderr)")
        #expect(accepted.stderr.contains("/nonexistent/disk.qcow2"), "\(accepted.stderr)")
        let help = try await Command.labforge(["package", "--help"], environment: ["SOURCE_DATE_EPOCH": "yesterday"])
        #expect(help.status == 0)
    }
}
