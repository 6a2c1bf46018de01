// Per-student authorization at the route: the written HTTPRoutes and Ingresses, read back by PyYAML and evaluated the
// way a Gateway (or ingress-nginx with its auth service) would, admit /<id>/… only with that student's identity.
import Classroom
import Foundation
import Kube
import KubeTestSupport
import Testing
import TestSupport

@Suite("Per-student authorization at the route")
struct RouteAuthorizationTests {
    static let students = """
        alice  alice@school.example
        bob    user:bob@school.example
        """
    static let gatewaySettings = ManifestSettings(
        namespace: "cs101", host: "labs.example.org", gatewayName: "labs", gatewayNamespace: "gateways",
        routes: RouteProtection(authentication: .proxyHeader("X-Forwarded-User")))

    func roster(_ text: String = students) throws -> Roster { try Roster(students: try Roster.parse(text, source: "roster.txt")) }

    func write(_ settings: ManifestSettings, roster: Roster) async throws -> (TemporaryDirectory, [String]) {
        let manifests = try ClassManifests(
            image: ClassFixtures.image(), settings: settings, classSettings: ClassSettings(), roster: roster,
            credentials: ClassFixtures.credentials(for: roster.students.map(\.id)))
        let directory = try TemporaryDirectory(prefix: "labforge-route-auth")
        let result = try ClassWriter.write(manifests, to: directory.appending("out"))
        let yaml = result.paths.filter { $0.hasSuffix(".yaml") }
        let (status, report) = try await KubeFixtures.validate(yaml)
        #expect(status == 0, "\(report)")
        return (directory, yaml)
    }

    @Test("HTTPRoute (the default): alice's identity header gets no route to /bob/terminal/; bob's does; no header, none")
    func gatewayHeaderMatch() async throws {
        let (scratch, yaml) = try await write(Self.gatewaySettings, roster: try roster())
        defer { withExtendedLifetime(scratch) {} }
        var routes: [[String: Any]] = []
        for path in yaml where path.hasSuffix("httproute.yaml") { routes += try await KubeFixtures.documents(path) }
        #expect(routes.count == 2)
        #expect(!yaml.contains { $0.hasSuffix("ingress.yaml") })
        let gateway = GatewayModel(routes: routes)
        let host = "labs.example.org"
        let alice = ["X-Forwarded-User": "alice@school.example"]
        let bob = ["x-forwarded-user": "bob@school.example"]  // header names are case-insensitive
        #expect(gateway.backends(host: host, path: "/bob/terminal/", headers: alice).isEmpty)
        #expect(gateway.backends(host: host, path: "/bob/desktop/websockify", headers: alice).isEmpty)
        #expect(gateway.backends(host: host, path: "/bob/terminal/", headers: [:]).isEmpty)
        #expect(gateway.backends(host: host, path: "/bob/terminal/", headers: ["X-Forwarded-User": "bob@school.example.evil"]).isEmpty)
        #expect(gateway.backends(host: host, path: "/bob/terminal/", headers: bob) == ["debian-desktop-bob:7681"])
        #expect(gateway.backends(host: host, path: "/alice/terminal/ws", headers: alice) == ["debian-desktop-alice:7681"])
        #expect(gateway.backends(host: host, path: "/alice/desktop/vnc.html", headers: bob).isEmpty)
        #expect(gateway.backends(host: "other.example.org", path: "/alice/terminal/", headers: alice).isEmpty)
        // The Gateway's namespace is the only source the NetworkPolicy admits.
        let policy = try await KubeFixtures.documents(try #require(yaml.first { $0.hasSuffix("students/bob/networkpolicy.yaml") }))
        let from = ((policy[0]["spec"] as? [String: Any])?["ingress"] as? [[String: Any]])?.first?["from"] as? [[String: Any]]
        let selector = (from?.first?["namespaceSelector"] as? [String: Any])?["matchLabels"] as? [String: String]
        #expect(selector == ["kubernetes.io/metadata.name": "gateways"])
    }

    @Test("Ingress (ingress-nginx): the auth URL of /bob/ names bob only, so an auth service keeping the contract admits only bob")
    func ingressAuthURL() async throws {
        var settings = Self.gatewaySettings
        settings.routing = .ingress
        settings.routes = RouteProtection(
            tlsSecret: "labs-tls",
            authentication: .external(
                url: "http://auth.auth.svc/check?allowed={identity}", signin: "https://labs.example.org/login", responseHeader: "X-Auth-Request-User"))
        let (scratch, yaml) = try await write(settings, roster: try roster())
        defer { withExtendedLifetime(scratch) {} }
        var ingresses: [[String: Any]] = []
        for path in yaml where path.hasSuffix("ingress.yaml") { ingresses += try await KubeFixtures.documents(path) }
        #expect(ingresses.count == 4)
        /// The Ingress whose path serves the request, and the user its auth service (allowed=<identity>) admits.
        func admitted(path request: String, user: String) throws -> Bool {
            let serving = try ingresses.filter { ingress in
                let spec = ingress["spec"] as? [String: Any]
                let paths = ((spec?["rules"] as? [[String: Any]])?.first?["http"] as? [String: Any])?["paths"] as? [[String: Any]] ?? []
                return try paths.contains { entry in
                    let pattern = "^" + (entry["path"] as? String ?? "")
                    return try NSRegularExpression(pattern: pattern).firstMatch(in: request, range: NSRange(request.startIndex..., in: request)) != nil
                }
            }
            #expect(serving.count == 1, "\(request)")
            let annotations = (serving.first?["metadata"] as? [String: Any])?["annotations"] as? [String: String] ?? [:]
            let url = try #require(URLComponents(string: annotations["nginx.ingress.kubernetes.io/auth-url"] ?? ""))
            let allowed = url.queryItems?.first { $0.name == "allowed" }?.value
            return allowed == user
        }
        #expect(try !admitted(path: "/bob/terminal/", user: "alice@school.example"))
        #expect(try admitted(path: "/bob/terminal/", user: "bob@school.example"))
        #expect(try !admitted(path: "/alice/desktop/vnc.html", user: "bob@school.example"))
    }

    @Test("Gateway API ExternalAuth (--auth-service): bob's rules ask the auth service for /allowed/<bob>/…, so it admits only bob; strict schema accepts")
    func gatewayExternalAuth() async throws {
        var settings = Self.gatewaySettings
        let service = try AuthService(parsing: "auth/labs-auth:8080")
        settings.routes = RouteProtection(authentication: .gatewayExternalAuth(service: service, responseHeader: "X-Auth-Request-User"))
        let (scratch, yaml) = try await write(settings, roster: try roster())
        defer { withExtendedLifetime(scratch) {} }
        let route = try await KubeFixtures.documents(try #require(yaml.first { $0.hasSuffix("students/bob/httproute.yaml") }))
        let rules = try #require((route.first?["spec"] as? [String: Any])?["rules"] as? [[String: Any]])
        #expect(rules.count == 2)
        /// The auth request the Gateway sends for `path` on this rule, and whether an auth service keeping the
        /// contract (the first segment after /allowed/ is the only user it admits) lets `user` through.
        func admitted(_ rule: [String: Any], path: String, user: String) throws -> Bool {
            let filters = rule["filters"] as? [[String: Any]] ?? []
            #expect(filters.first?["type"] as? String == "ExternalAuth")  // before any rewrite
            let auth = try #require(filters.first?["externalAuth"] as? [String: Any])
            #expect((auth["backendRef"] as? [String: Any])?["namespace"] as? String == "auth")
            let prefix = try #require((auth["http"] as? [String: Any])?["path"] as? String)
            let request = prefix + path
            let segments = request.split(separator: "/")
            guard segments.count >= 2, segments[0] == "allowed" else { return false }
            return String(segments[1]).removingPercentEncoding == user
        }
        for rule in rules {
            #expect(try !admitted(rule, path: "/bob/terminal/", user: "alice@school.example"))
            #expect(try admitted(rule, path: "/bob/terminal/", user: "bob@school.example"))
        }
        var ingress = settings
        ingress.routing = .ingress
        ingress.routes.tlsSecret = "labs-tls"
        #expect(throws: KubeError.self) {
            try ClassManifests(
                image: ClassFixtures.image(), settings: ingress, classSettings: ClassSettings(), roster: try roster(),
                credentials: ClassFixtures.credentials(for: ["alice", "bob"]))
        }
        for bad in ["labs-auth", "auth/labs-auth", "auth/Labs:80", "a/b/c:80", "auth/labs-auth:0"] {
            #expect(throws: KubeError.self, "\(bad)") { try AuthService(parsing: bad) }
        }
    }

    @Test("routes that cannot tell students apart are refused: Ingress + proxy header, an auth URL without {identity}, a group behind the header")
    func unenforceableRefused() throws {
        let roster = try roster()
        func build(_ settings: ManifestSettings, _ roster: Roster) throws -> ClassManifests {
            try ClassManifests(
                image: ClassFixtures.image(), settings: settings, classSettings: ClassSettings(), roster: roster,
                credentials: ClassFixtures.credentials(for: roster.students.map(\.id)))
        }
        var ingressHeader = Self.gatewaySettings
        ingressHeader.routing = .ingress
        ingressHeader.routes = RouteProtection(tlsSecret: "labs-tls", authentication: .proxyHeader("X-Forwarded-User"))
        #expect(throws: KubeError.self) { try build(ingressHeader, roster) }
        do {
            _ = try build(ingressHeader, roster)
        } catch {
            #expect("\(error)".contains("an Ingress cannot match the identity header"), "\(error)")
        }
        var noIdentity = ingressHeader
        noIdentity.routes.authentication = .external(url: "http://auth.auth.svc/check", signin: "https://labs.example.org/login", responseHeader: "X-User")
        do {
            _ = try build(noIdentity, roster)
            Issue.record("an auth URL without {identity} was accepted for a roster")
        } catch {
            #expect("\(error)".contains("add {identity}"), "\(error)")
        }
        let groups = try self.roster("alice alice@school.example\nbob group:cs101-team-b\n")
        do {
            _ = try build(Self.gatewaySettings, groups)
            Issue.record("a group behind the identity header was accepted")
        } catch let error as KubeError {
            #expect(error.description.hasPrefix("roster.txt:2: student 'bob': identity 'group:cs101-team-b' is not a user"), "\(error)")
        }
        do {
            _ = try build(Self.gatewaySettings, try self.roster("zoe zoë@school.example\n"))
            Issue.record("a non-ASCII identity behind the header was accepted")
        } catch let error as KubeError {
            #expect(error.description.hasPrefix("roster.txt:1: student 'zoe': identity 'user:zoë@school.example' holds characters an HTTP header value cannot carry"), "\(error)")
        }
    }

    @Test("Gateway API is the default; HTTPRoutes without --gateway are refused with the option named")
    func gatewayIsDefault() throws {
        #expect(ManifestSettings().routing == .httproute)
        var noGateway = Self.gatewaySettings
        noGateway.gatewayName = nil
        do {
            _ = try ClassManifests(
                image: ClassFixtures.image(), settings: noGateway, classSettings: ClassSettings(), roster: try roster(),
                credentials: ClassFixtures.credentials(for: ["alice", "bob"]))
            Issue.record("HTTPRoutes without a Gateway were accepted")
        } catch let error as KubeError {
            #expect(error.description.hasPrefix("invalid --gateway '(none)': HTTPRoutes (--routing httproute, the default) attach to a Gateway"), "\(error)")
        }
    }
}
