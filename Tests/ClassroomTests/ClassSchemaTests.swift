// The strict upstream core schemas, checked on a class seat's objects: a misspelt field is rejected, so the
// validation the class tests rely on is real.
import Classroom
import Kube
import KubeTestSupport
import Testing
import TestSupport

@Suite("Class manifests against the strict schemas")
struct ClassSchemaTests {
    @Test("the upstream core schemas are strict: a misspelt NetworkPolicy field and unknown Service/Role/Secret fields are rejected")
    func coreSchemasRejectUnknownFields() async throws {
        let roster = try Roster(students: [Student(id: "alice", subject: AccessSubject(kind: .user, name: "alice"))])
        let manifests = try ClassManifests(
            image: ClassFixtures.image(), settings: ClassFixtures.ingressSettings, classSettings: ClassSettings(), roster: roster,
            credentials: ClassFixtures.credentials(for: ["alice"]))
        let seat = manifests.students[0]
        let directory = try TemporaryDirectory(prefix: "labforge-strict")
        let policy = try ManifestSet.yaml([seat.networkPolicy])
        let good = directory.appending("networkpolicy.yaml")
        try policy.write(toFile: good, atomically: true, encoding: .utf8)
        await #expect(try KubeFixtures.validate([good]).0 == 0)
        let cases = [
            ("policy.yaml", policy.replacingOccurrences(of: "  podSelector:", with: "  podSelectr:"), "podSelectr"),
            ("service.yaml", try ManifestSet.yaml([try #require(seat.service)]).replacingOccurrences(of: "  selector:", with: "  selectors:"), "selectors"),
            ("role.yaml", try ManifestSet.yaml([seat.role]).replacingOccurrences(of: "resourceNames:", with: "resourceName:"), "resourceName"),
            ("secret.yaml", try ManifestSet.yaml([seat.secret]).replacingOccurrences(of: "type: Opaque", with: "type: Opaque\nimmutible: true"), "immutible"),
        ]
        for (name, text, field) in cases {
            #expect(text.contains(field))
            let path = directory.appending(name)
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            let (status, report) = try await KubeFixtures.validate([path])
            #expect(status == 1, "\(name) with '\(field)' was accepted: \(report)")
            #expect(report.contains("Additional properties are not allowed ('\(field)' was unexpected)"), "\(report)")
        }
    }
}
