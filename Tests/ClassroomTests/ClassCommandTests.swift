// `labforge class` end to end: the real binary, a roster file, strict schemas, credentials kept private and stable.
import Classroom
import Foundation
import Kube
import KubeTestSupport
import Testing
import TestSupport

enum ClassCommandFixtures {
    static let reference = "registry.example.org/labs/debian-desktop:1.0@\(KubeFixtures.digest)"
    static let image = [reference, "--virtual-size", "\(10 << 30)", "--agent", "terminal", "--agent", "desktop:6080"]
    static let protectedRoutes = [
        "--routing", "ingress", "--host", "labs.example.org", "--tls-secret", "labs-tls", "--auth-url", "http://oauth2-proxy.auth.svc/oauth2/auth?allowed_emails={identity}",
        "--auth-signin", "https://labs.example.org/oauth2/start?rd=$escaped_request_uri",
    ]

    /// Writes the fixture roster and returns its path.
    static func roster(in scratch: TemporaryDirectory, text: String = ClassFixtures.rosterText) async throws -> String {
        let path = scratch.appending("roster.txt")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// `kubectl` with kustomize built in, when this machine has it (the swift machine image ships one).
    static var kubectl: String? {
        get async {
            guard let result = try? await Command.run(["kubectl", "version", "--client"]), result.status == 0 else { return nil }
            return "kubectl"
        }
    }
}

@Suite("labforge class")
struct ClassCommandTests {
    @Test("a roster of three: schemas accept every file; credentials 0600 and nowhere else (not on stdout); re-run keeps them, --rotate changes them")
    func rosterEndToEnd() async throws {
        let scratch = try TemporaryDirectory(prefix: "labforge-class-cli")
        let roster = try await ClassCommandFixtures.roster(in: scratch)
        let output = scratch.appending("class")
        let arguments = ["class"] + ClassCommandFixtures.image + ClassCommandFixtures.protectedRoutes + [
            "--namespace", "cs101", "--roster", roster, "--output", output,
        ]
        let first = try await Command.labforge(arguments)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("credentials: \(output)/credentials.tsv (mode 0600; new for 3, kept for 0)"), "\(first.stdout)")
        let credentialsPath = output + "/" + CredentialsFile.fileName
        #expect(try ClassFixtures.mode(credentialsPath) == 0o600)
        let credentials = try CredentialsFile.read(credentialsPath)
        #expect(credentials.keys.sorted() == ["alice", "bob", "carol"])
        // Every credential is in its Secret and the credentials file only: not in any other file, stdout or stderr.
        let leaks = try ClassFixtures.leaks(in: output, credentials: credentials, extra: ["(stdout)": first.stdout, "(stderr)": first.stderr])
        #expect(leaks.isEmpty, "\(leaks)")
        let files = try ClassFixtures.files(in: output)
        for id in ["alice", "bob", "carol"] {
            // A YAML reader nobody here wrote gets exactly the credentials back from the Secret.
            let secret = try await #require(try KubeFixtures.documents("\(output)/students/\(id)/secret.yaml").first)
            #expect(secret["stringData"] as? [String: String] == credentials[id]?.secretData.entries)
            #expect(try ClassFixtures.mode("\(output)/students/\(id)/secret.yaml") == 0o600)
        }
        let yaml = files.keys.filter { $0.hasSuffix(".yaml") }.sorted().map { "\(output)/\($0)" }
        // Per student: secret, virtualmachine, access, networkpolicy, service, ingress, kustomization; one top-level kustomization.
        #expect(yaml.count == 3 * 7 + 1)
        let (status, report) = try await KubeFixtures.validate(yaml)
        #expect(status == 0, "\(report)")

        let second = try await Command.labforge(arguments + ["--json"])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(try CredentialsFile.read(credentialsPath) == credentials)
        #expect(try ClassFixtures.leaks(in: output, credentials: credentials, extra: ["(stdout)": second.stdout]).isEmpty)
        struct Output: Decodable {
            struct Seat: Decodable {
                var id: String
                var identity: String
                var urls: [String: String]
            }
            var seats: [Seat]
            var newCredentials: [String]
        }
        let parsed = try JSONDecoder().decode(Output.self, from: second.stdoutData)
        #expect(parsed.newCredentials.isEmpty)
        #expect(parsed.seats.map(\.identity) == ["user:alice@school.example", "group:cs101-team-b", "serviceaccount:grading:carol"])
        #expect(parsed.seats[0].urls["terminal"] == "https://labs.example.org/alice/terminal/")

        // A new student gets new credentials; the others keep theirs.
        let grown = try await Command.labforge(arguments + ["--student", "dave=user:dave@school.example"])
        #expect(grown.status == 0, "\(grown.stderr)")
        let afterGrowth = try CredentialsFile.read(credentialsPath)
        #expect(afterGrowth.filter { $0.key != "dave" } == credentials && afterGrowth["dave"] != nil)

        let rotated = try await Command.labforge(arguments + ["--rotate"])
        #expect(rotated.status == 0, "\(rotated.stderr)")
        #expect(rotated.stderr.contains("students/dave is not in the roster any more"), "\(rotated.stderr)")
        let after = try CredentialsFile.read(credentialsPath)
        #expect(after.keys.sorted() == ["alice", "bob", "carol"])
        for id in ["alice", "bob", "carol"] { #expect(after[id] != credentials[id]) }
        #expect(try ClassFixtures.mode(credentialsPath) == 0o600)
        #expect(try ClassFixtures.leaks(in: output, credentials: after.merging(credentials) { new, _ in new }).filter { !$0.contains("lacks") }.isEmpty)
    }

    @Test("refusals: roster errors name file and line; routes without TLS or auth need --public-routes; HTTPRoute needs --gateway")
    func refusals() async throws {
        let scratch = try TemporaryDirectory(prefix: "labforge-class-refusals")
        let badRoster = try await ClassCommandFixtures.roster(in: scratch, text: "alice alice@x\n# comment\nbob\n")
        let output = scratch.appending("out")
        let base = ["class"] + ClassCommandFixtures.image + ["--namespace", "cs101", "--output", output]
        let noIdentity = try await Command.labforge(base + ["--roster", badRoster])
        #expect(noIdentity.status != 0)
        #expect(noIdentity.stderr.contains("\(badRoster):3: student 'bob' has no identity"), "\(noIdentity.stderr)")
        #expect(!FileManager.default.fileExists(atPath: output))

        let roster = try await ClassCommandFixtures.roster(in: scratch)
        let open = try await Command.labforge(base + ["--roster", roster, "--routing", "ingress", "--host", "labs.example.org"])
        #expect(open.status != 0)
        #expect(open.stderr.contains("without TLS (--tls-secret NAME) and without authentication"), "\(open.stderr)")
        #expect(open.stderr.contains("--public-routes"))
        let tlsOnly = try await Command.labforge(
            base + ["--roster", roster, "--routing", "ingress", "--host", "labs.example.org", "--tls-secret", "labs-tls"])
        #expect(tlsOnly.status != 0 && tlsOnly.stderr.contains("without authentication"), "\(tlsOnly.stderr)")

        let accepted = try await Command.labforge(base + ["--roster", roster, "--routing", "ingress", "--host", "labs.example.org", "--public-routes"])
        #expect(accepted.status == 0, "\(accepted.stderr)")
        #expect(accepted.stderr.contains("warning: --public-routes: the routes are served without TLS"), "\(accepted.stderr)")
        let ingress = try String(contentsOfFile: "\(output)/students/alice/ingress.yaml", encoding: .utf8)
        #expect(!ingress.contains("tls:") && !ingress.contains("auth-url"))
        // Switching the route kind replaces the earlier run's ingress.yaml instead of leaving it beside.
        let switched = try await Command.labforge(
            base + ["--roster", roster, "--host", "labs.example.org", "--public-routes", "--routing", "httproute", "--gateway", "gateways/labs"])
        #expect(switched.status == 0, "\(switched.stderr)")
        #expect(FileManager.default.fileExists(atPath: "\(output)/students/alice/httproute.yaml"))
        #expect(!FileManager.default.fileExists(atPath: "\(output)/students/alice/ingress.yaml"))

        let noHost = try await Command.labforge(base + ["--roster", roster, "--output", scratch.appending("plain")])
        #expect(noHost.status == 0, "\(noHost.stderr)")  // no --host: no routes, nothing to protect
        #expect(!FileManager.default.fileExists(atPath: scratch.appending("plain/students/alice/ingress.yaml")))

        // The default is Gateway API: routes need --gateway.
        let gateway = try await Command.labforge(base + ["--roster", roster, "--host", "labs.example.org", "--auth-header", "X-Forwarded-User"])
        #expect(gateway.status != 0 && gateway.stderr.contains("invalid --gateway '(none)'"), "\(gateway.stderr)")
        // Behind the identity header only users can be matched: the roster's group is refused with its line.
        let groups = try await Command.labforge(
            base + ["--roster", roster, "--host", "labs.example.org", "--auth-header", "X-Forwarded-User", "--gateway", "gateways/labs"])
        #expect(groups.status != 0 && groups.stderr.contains("\(roster):4: student 'bob': identity 'group:cs101-team-b' is not a user"), "\(groups.stderr)")
        let userScratch = try TemporaryDirectory(prefix: "labforge-class-users")
        let users = try await ClassCommandFixtures.roster(in: userScratch, text: "alice alice@school.example\nbob user:bob@school.example\n")
        let withGateway = try await Command.labforge(
            base + ["--roster", users, "--host", "labs.example.org", "--auth-header", "X-Forwarded-User",
                    "--gateway", "gateways/labs", "--output", scratch.appending("gw")])
        #expect(withGateway.status == 0, "\(withGateway.stderr)")
        let route = try String(contentsOfFile: scratch.appending("gw/students/bob/httproute.yaml"), encoding: .utf8)
        #expect(route.contains("name: X-Forwarded-User") && route.contains("value: bob@school.example"), "\(route)")
        #expect(!FileManager.default.fileExists(atPath: scratch.appending("gw/students/bob/ingress.yaml")))

        // Kubernetes' own identities are refused unless explicitly allowed.
        let systemScratch = try TemporaryDirectory(prefix: "labforge-class-system")
        let system = try await ClassCommandFixtures.roster(in: systemScratch, text: "alice alice@school.example\neve group:system:authenticated\n")
        let refused = try await Command.labforge(base + ["--roster", system, "--output", scratch.appending("sys")])
        #expect(refused.status != 0 && refused.stderr.contains("\(system):2: student 'eve': identity 'group:system:authenticated' is one Kubernetes reserves"), "\(refused.stderr)")
        let allowed = try await Command.labforge(base + ["--roster", system, "--allow-system-identities", "--output", scratch.appending("sys")])
        #expect(allowed.status == 0, "\(allowed.stderr)")

        let both = try await Command.labforge(base + ["--roster", roster, "--pool", "3"])
        #expect(both.status != 0 && both.stderr.contains("--pool makes an anonymous workshop"), "\(both.stderr)")
        let secret = try await Command.labforge(base + ["--roster", roster, "--credentials-secret", "shared"])
        #expect(secret.status != 0 && secret.stderr.contains("one Secret per VM"), "\(secret.stderr)")
    }

    @Test("--pool 4 --variant persistent: pool, golden image, per-VM Secrets; schemas accept; nothing leaks")
    func poolEndToEnd() async throws {
        let scratch = try TemporaryDirectory(prefix: "labforge-class-pool")
        let output = scratch.appending("pool")
        let result = try await Command.labforge(
            ["class"] + ClassCommandFixtures.image + [
                "--host", "labs.example.org", "--gateway", "gateways/labs", "--auth-header", "X-Forwarded-User", "--namespace", "workshop",
                "--pool", "4", "--variant", "persistent", "--output", output,
            ])
        #expect(result.status == 0, "\(result.stderr)")
        let files = try ClassFixtures.files(in: output)
        #expect(files.keys.contains("pool/virtualmachinepool.yaml") && files.keys.contains("golden/dataimportcron.yaml"))
        let credentials = try CredentialsFile.read("\(output)/\(CredentialsFile.fileName)")
        #expect(credentials.keys.sorted() == (0..<4).map { "debian-desktop-pool-\($0)" })
        #expect(try ClassFixtures.leaks(in: output, credentials: credentials, extra: ["(stdout)": result.stdout]).isEmpty)
        let (status, report) = try await KubeFixtures.validate(files.keys.filter { $0.hasSuffix(".yaml") }.map { "\(output)/\($0)" })
        #expect(status == 0, "\(report)")
        #expect(report.contains("virtualmachinepool_v1alpha1.json"))
    }

    @Test(
        "kubectl kustomize builds the whole class, and every rendered object validates",
        .enabled("needs kubectl with kustomize (on the swift machine image)") { await ClassCommandFixtures.kubectl != nil })
    func kustomizeBuilds() async throws {
        let scratch = try TemporaryDirectory(prefix: "labforge-class-kustomize")
        let roster = try await ClassCommandFixtures.roster(in: scratch)
        let output = scratch.appending("class")
        let result = try await Command.labforge(
            ["class"] + ClassCommandFixtures.image + ClassCommandFixtures.protectedRoutes + [
                "--namespace", "cs101", "--roster", roster, "--variant", "persistent", "--namespace-per-student",
                "--quota", "requests.cpu=2,requests.memory=6Gi", "--output", output,
            ])
        #expect(result.status == 0, "\(result.stderr)")
        let built = try await Command.run(["kubectl", "kustomize", output])
        #expect(built.status == 0, "\(built.stderr)")
        let rendered = scratch.appending("rendered.yaml")
        try built.stdoutData.write(to: URL(fileURLWithPath: rendered))
        let kinds = built.stdout.split(separator: "\n").filter { $0.hasPrefix("kind: ") }.map { String($0.dropFirst(6)) }
        // 3 × (Namespace, ResourceQuota, Secret, VM, Role, RoleBinding, clone RoleBinding, NetworkPolicy, Service, 2 Ingress)
        // + golden DataVolume, DataSource, DataImportCron, clone Role.
        #expect(kinds.count == 3 * 11 + 4, "\(kinds)")
        #expect(kinds.first == "Namespace")
        let (status, report) = try await KubeFixtures.validate([rendered])
        #expect(status == 0, "\(report)")
    }
}
