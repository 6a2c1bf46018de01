// The roster: ids, identities of three kinds, and errors that name the file and the line.
import Classroom
import Foundation
import Kube
import Testing
import TestSupport

@Suite("Roster")
struct RosterTests {
    @Test("a roster file: comments and blank lines skipped; users, groups and service accounts")
    func parses() throws {
        let roster = try ClassFixtures.roster()
        #expect(roster.students.map(\.id) == ["alice", "bob", "carol"])
        #expect(roster.students.map(\.subject.description) == ["user:alice@school.example", "group:cs101-team-b", "serviceaccount:grading:carol"])
        #expect(roster.students[0].location == RosterLocation(source: "roster.txt", line: 2))
        #expect(roster.students[2].location?.line == 5)
        let subjects = roster.students.map(\.subject.roleBindingSubject)
        #expect(subjects[0] == RoleBinding.Subject(apiGroup: "rbac.authorization.k8s.io", kind: "User", name: "alice@school.example"))
        #expect(subjects[1] == RoleBinding.Subject(apiGroup: "rbac.authorization.k8s.io", kind: "Group", name: "cs101-team-b"))
        #expect(subjects[2] == RoleBinding.Subject(apiGroup: nil, kind: "ServiceAccount", name: "carol", namespace: "grading"))
        #expect(try AccessSubject(parsing: "user:oidc:alice") == AccessSubject(kind: .user, name: "oidc:alice"))
    }

    @Test("errors name the file and line: no identity, bad id, duplicate, unknown kind, extra field")
    func errorsNameFileAndLine() throws {
        let cases: [(String, String)] = [
            ("alice alice@x\nbob\n", "roster.txt:2: student 'bob' has no identity"),
            ("# header\nAlice alice@x\n", "roster.txt:2: student id 'Alice' is not a DNS-1123 label"),
            ("alice a@x\n\nalice b@x\n", "roster.txt:3: student id 'alice' appears twice (first at roster.txt:1)"),
            ("alice grop:cs101\n", "roster.txt:1: identity 'grop:cs101': 'grop' is not user, group or serviceaccount"),
            ("alice user:a@x extra\n", "roster.txt:1: expected 'ID IDENTITY', found 3 fields"),
            ("carol serviceaccount:Grading:carol\n", "roster.txt:1: identity 'serviceaccount:Grading:carol'"),
        ]
        for (text, expected) in cases {
            do {
                _ = try Roster(students: try Roster.parse(text, source: "roster.txt"))
                Issue.record("accepted: \(text)")
            } catch let error as ClassError {
                #expect(error.description.hasPrefix(expected), "\(error)")
            }
        }
    }

    @Test("an id that makes a name longer than 63 characters is refused with its roster line and the name")
    func longIdNamesTheLine() throws {
        let id = String(repeating: "a", count: 45)  // debian-desktop-<id>-credentials: 72 characters
        let roster = try Roster(students: try Roster.parse("# one\n\(id) user:a\n", source: "roster.txt"))
        do {
            _ = try ClassManifests(
                image: ClassFixtures.image(), settings: ManifestSettings(namespace: "cs101"), classSettings: ClassSettings(), roster: roster,
                credentials: ClassFixtures.credentials(for: [id]))
            Issue.record("a 72-character Secret name was accepted")
        } catch let error as ClassError {
            #expect(error.description.hasPrefix("roster.txt:2: student '\(id)': "), "\(error)")
            #expect(error.description.contains("more than 63"), "\(error)")
        }
    }

    @Test("--student ID=IDENTITY arguments, refused without identity; files and arguments combined")
    func arguments() throws {
        let scratch = try TemporaryDirectory(prefix: "labforge-roster")
        let path = scratch.appending("roster.txt")
        try ClassFixtures.rosterText.write(toFile: path, atomically: true, encoding: .utf8)
        let roster = try Roster(files: [path], arguments: ["dave=group:cs101"])
        #expect(roster.students.map(\.id) == ["alice", "bob", "carol", "dave"])
        #expect(roster.students[3].location?.description == "--student #1")
        #expect(throws: ClassError.self) { try Roster(files: [], arguments: ["dave"]) }
        #expect(throws: ClassError.self) { try Roster(files: [path], arguments: ["alice=user:other"]) }
        do {
            _ = try Roster(files: [scratch.appending("missing.txt")], arguments: [])
            Issue.record("a missing roster was accepted")
        } catch let error as ClassError {
            #expect(error.description.contains("missing.txt: cannot read the roster"))
        }
    }
}
