// The route rule as a class meets it: `system:` identities refused on the roster line, a proxy-header image refused in
// a pool (nobody to match).
import Classroom
import Kube
import KubeTestSupport
import Testing

@Suite("Safe class manifests")
struct SafeClassTests {
    @Test("system: identities are refused in rosters unless explicitly allowed; the message names the line")
    func systemIdentities() throws {
        for text in ["group:system:authenticated", "system:anonymous", "user:system:anonymous", "system:serviceaccount:kube-system:default", "group:system:masters"] {
            do {
                _ = try Roster(students: try Roster.parse("# class\nalice \(text)\n", source: "roster.txt"))
                Issue.record("\(text) was accepted")
            } catch let error as ClassError {
                #expect(error.description.hasPrefix("roster.txt:2: student 'alice': identity '"), "\(error)")
                #expect(error.description.contains("is one Kubernetes reserves") && error.description.contains("--allow-system-identities"), "\(error)")
            }
            let allowed = try Roster(students: try Roster.parse("alice \(text)\n", source: "roster.txt"), allowSystemIdentities: true)
            #expect(allowed.students[0].subject.isSystemIdentity)
        }
        #expect(throws: ClassError.self) { try Roster(files: [], arguments: ["bob=group:system:authenticated"]) }
        #expect(try Roster(files: [], arguments: ["bob=group:system-admins"]).students.count == 1)  // only the system: prefix
    }

    @Test("a proxy-header image in a pool is refused: a pool has no identity for the route to match")
    func proxyHeaderImageInPool() throws {
        var image = KubeFixtures.proxyHeaderImage()
        image.credentialsSecret = nil
        do {
            _ = try ClassManifests(
                image: image,
                settings: ManifestSettings(
                    namespace: "w", host: "labs.example.org", gatewayName: "labs", routes: RouteProtection(authentication: .proxyHeader("X-Forwarded-User"))),
                classSettings: ClassSettings(), poolSize: 2, credentials: ClassFixtures.credentials(for: ["debian-desktop-pool-0", "debian-desktop-pool-1"]))
            Issue.record("a proxy-header image in a pool was accepted")
        } catch {
            #expect("\(error)".contains("a pool has no identities to admit"), "\(error)")
        }
    }
}
