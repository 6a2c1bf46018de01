// The one route rule for build and manifests: no routes without TLS and authentication, always a NetworkPolicy,
// a RoleBinding only to a given identity, proxy-header agents only behind routes that enforce the identity.
import Foundation
import Kube
import KubeTestSupport
import Testing
import TestSupport

@Suite("Safe manifests by default")
struct SafeManifestTests {
    /// What `labforge build` writes: default settings.
    @Test("defaults (what build writes): no Service, no routes, a NetworkPolicy admitting nothing, no RoleBinding (no `User student`)")
    func defaults() async throws {
        let set = try ManifestSet(image: KubeFixtures.desktopImage())
        #expect(set.service == nil && set.ingresses.isEmpty && set.httpRoute == nil)
        #expect(set.roleBinding == nil)
        #expect(set.networkPolicy.spec.policyTypes == ["Ingress", "Egress"])
        #expect(set.networkPolicy.spec.ingress == nil)  // nothing may connect to the agents
        #expect(set.networkPolicy.spec.podSelector.matchLabels == ["app.kubernetes.io/instance": "debian-desktop"])
        #expect(set.rule.notes.contains { $0.hasPrefix("no RoleBinding: no identity was given") })
        #expect(set.rule.notes.contains { $0.hasPrefix("no Service and no routes (no --host)") })
        let directory = try TemporaryDirectory(prefix: "labforge-safe")
        let paths = try ManifestWriter.write(try set.files(), to: directory.path)
        let names = paths.map { URL(fileURLWithPath: $0).lastPathComponent }
        #expect(names.contains("networkpolicy.yaml"))
        #expect(!names.contains("ingress.yaml") && !names.contains("httproute.yaml") && !names.contains("service.yaml"))
        let access = try String(contentsOfFile: directory.appending("access.yaml"), encoding: .utf8)
        #expect(!access.contains("RoleBinding") && !access.contains("name: student"))
        let (status, report) = try await KubeFixtures.validate(paths)
        #expect(status == 0, "\(report)")
    }

    @Test("a host without TLS and authentication is refused; --public-routes writes them and warns")
    func unprotectedRefused() throws {
        for routing in RoutingKind.allCases {
            let settings = ManifestSettings(host: "labs.example.org", gatewayName: "labs", gatewayNamespace: "gateways", routing: routing)
            #expect(throws: KubeError.self, "\(routing)") { try ManifestSet(image: KubeFixtures.desktopImage(), settings: settings) }
            do {
                _ = try ManifestSet(image: KubeFixtures.desktopImage(), settings: settings)
            } catch {
                #expect("\(error)".hasPrefix("the routes would be served "), "\(error)")
            }
        }
        let ingress = ManifestSettings(host: "labs.example.org", routing: .ingress)
        #expect(throws: KubeError.unprotectedRoutes(missing: [
            "without TLS (--tls-secret NAME)", "without authentication (--auth-url with {identity} and --auth-signin)",
        ])) { try ManifestSet(image: KubeFixtures.desktopImage(), settings: ingress) }
        var accepted = ingress
        accepted.routes.allowUnprotected = true
        let set = try ManifestSet(image: KubeFixtures.desktopImage(), settings: accepted)
        #expect(set.ingresses.count == 2)
        #expect(set.rule.warnings == [
            "--public-routes: the routes are served without TLS (--tls-secret NAME) and without authentication (--auth-url with {identity} and --auth-signin); only the agents' per-VM credentials protect the VMs"
        ])
        #expect(set.networkPolicy.spec.ingress?.first?.from == [.namespace(["kubernetes.io/metadata.name": "ingress-nginx"])])
        // HTTPRoutes: the policy admits the Gateway's namespace, which must be known.
        var gateway = accepted
        gateway.routing = .httproute
        gateway.gatewayName = "labs"
        #expect(throws: KubeError.invalidSetting(
            name: "--proxy-namespace", value: "(none)",
            reason: "the NetworkPolicy must name the namespace of the Gateway's proxy pods: give --gateway NAMESPACE/NAME, --namespace, or --proxy-namespace")) {
            try ManifestSet(image: KubeFixtures.desktopImage(), settings: gateway)
        }
        gateway.namespace = "labs"
        #expect(try ManifestSet(image: KubeFixtures.desktopImage(), settings: gateway).networkPolicy.spec.ingress?.first?.from == [.namespace(["kubernetes.io/metadata.name": "labs"])])
    }

    @Test("--access-user: the RoleBinding names exactly that identity, and the HTTPRoute admits only it")
    func accessUser() async throws {
        let settings = ManifestSettings(
            namespace: "labs", instance: "alice", host: "labs.example.org", gatewayName: "labs", gatewayNamespace: "gateways",
            accessSubject: try AccessSubject(parsing: "alice@school.example"), routes: RouteProtection(authentication: .proxyHeader("X-Forwarded-User")))
        let set = try ManifestSet(image: KubeFixtures.desktopImage(), settings: settings)
        #expect(set.roleBinding?.subjects == [RoleBinding.Subject(apiGroup: "rbac.authorization.k8s.io", kind: "User", name: "alice@school.example")])
        var accented = settings
        accented.accessSubject = AccessSubject(kind: .user, name: "zoë@school.example")
        #expect(throws: KubeError.self) { try ManifestSet(image: KubeFixtures.desktopImage(), settings: accented) }  // not a header value
        let route = try #require(set.httpRoute)
        #expect(route.spec.rules.allSatisfy { $0.matches.count == 1 && $0.matches[0].headers == [HTTPRoute.HeaderMatch(exact: "X-Forwarded-User", value: "alice@school.example")] })
        #expect(route.spec.parentRefs.map(\.name) == ["labs"] && route.spec.parentRefs.map(\.namespace) == ["gateways"])
        let directory = try TemporaryDirectory(prefix: "labforge-access")
        let paths = try ManifestWriter.write(try set.files(), to: directory.path)
        let (status, report) = try await KubeFixtures.validate(paths)
        #expect(status == 0, "\(report)")
        let routes = try await KubeFixtures.documents(directory.appending("httproute.yaml"))
        let gateway = GatewayModel(routes: routes)
        #expect(gateway.backends(host: "labs.example.org", path: "/debian-desktop-alice/terminal/", headers: ["X-Forwarded-User": "bob"]).isEmpty)
        #expect(gateway.backends(host: "labs.example.org", path: "/debian-desktop-alice/terminal/", headers: ["X-Forwarded-User": "alice@school.example"]).count == 1)
    }

    @Test("system: identities are refused in --access-user unless explicitly allowed")
    func systemIdentities() throws {
        for text in ["group:system:authenticated", "system:anonymous", "user:system:anonymous", "system:serviceaccount:kube-system:default", "group:system:masters"] {
            let subject = try AccessSubject(parsing: text)
            #expect(subject.isSystemIdentity)
            do {
                _ = try ManifestSet(image: KubeFixtures.desktopImage(), settings: ManifestSettings(accessSubject: subject))
                Issue.record("\(text) was accepted")
            } catch let error as KubeError {
                #expect(error.description.hasPrefix("invalid --access-user '\(subject)': identity '\(subject)' is one Kubernetes reserves"), "\(error)")
                #expect(error.description.contains("--allow-system-identities"), "\(error)")
            }
            var allowed = ManifestSettings(accessSubject: subject)
            allowed.allowSystemIdentities = true
            #expect(throws: Never.self) { try ManifestSet(image: KubeFixtures.desktopImage(), settings: allowed) }
        }
        #expect(try !AccessSubject(parsing: "group:system-admins").isSystemIdentity)  // only the system: prefix
    }

    @Test("a proxy-header image: refused behind public routes, without an identity, with another header; accepted behind an enforcing HTTPRoute")
    func proxyHeaderImage() throws {
        let enforcing = ManifestSettings(
            host: "labs.example.org", gatewayName: "labs", gatewayNamespace: "gateways", accessSubject: AccessSubject(kind: .user, name: "alice"),
            routes: RouteProtection(authentication: .proxyHeader("X-Forwarded-User")))
        let set = try ManifestSet(image: KubeFixtures.proxyHeaderImage(), settings: enforcing)
        #expect(set.httpRoute?.spec.rules[0].matches[0].headers?.first?.value == "alice")
        func refusal(_ settings: ManifestSettings, image: ImageDescription = KubeFixtures.proxyHeaderImage()) -> String {
            do {
                _ = try ManifestSet(image: image, settings: settings)
                return "accepted"
            } catch {
                return "\(error)"
            }
        }
        var publicRoutes = ManifestSettings(
            host: "labs.example.org", gatewayName: "labs", gatewayNamespace: "gateways", routes: RouteProtection(allowUnprotected: true))
        #expect(refusal(publicRoutes).hasPrefix("the image's terminal agent trusts header X-Forwarded-User (ttyd --auth-header): whoever can send it gets a shell; no --access-user"))
        publicRoutes.accessSubject = AccessSubject(kind: .user, name: "alice")
        #expect(refusal(publicRoutes).contains("the routes do not authenticate (--public-routes)"))
        var anyone = enforcing
        anyone.accessSubject = nil
        #expect(refusal(anyone).contains("no --access-user names the one identity the route may admit"))
        var otherHeader = enforcing
        otherHeader.routes.authentication = .proxyHeader("X-Remote-User")
        #expect(refusal(otherHeader).contains("the routes set X-Remote-User, not X-Forwarded-User"))
        #expect(refusal(otherHeader).contains("--auth-header X-Forwarded-User"))
        var externalAuth = enforcing
        externalAuth.routes.authentication = .gatewayExternalAuth(service: try AuthService(parsing: "auth/a:80"), responseHeader: "X-Forwarded-User")
        #expect(refusal(externalAuth).contains("an ExternalAuth filter is not required to drop a copy of the header the client sent"))
        // Without a host there is no route and the NetworkPolicy admits nothing: the port cannot be reached.
        let closed = try ManifestSet(image: KubeFixtures.proxyHeaderImage(), settings: ManifestSettings())
        #expect(closed.networkPolicy.spec.ingress == nil && closed.httpRoute == nil)
        #expect(closed.rule.notes.contains { $0.contains("the terminal agent trusts a proxy header: without a route nothing can send it") })
    }
}
