// `ClassManifests`: the objects of a class, checked against the strict upstream schemas and for leaks.
import Classroom
import Foundation
import Kube
import KubeTestSupport
import Testing
import TestSupport

@Suite("Class manifests")
struct ClassManifestsTests {
    let settings = ClassFixtures.ingressSettings

    func writeAndValidate(_ manifests: ClassManifests) async throws -> (TemporaryDirectory, ClassWriter.Result) {
        let directory = try TemporaryDirectory(prefix: "labforge-class")
        let result = try ClassWriter.write(manifests, to: directory.appending("out"))
        let yaml = result.paths.filter { $0.hasSuffix(".yaml") }
        let (status, report) = try await KubeFixtures.validate(yaml)
        #expect(status == 0, "\(report)")
        #expect(!report.contains("no schema for"), "\(report)")
        return (directory, result)
    }

    @Test("three students: strict schemas accept every document; one policy each; exact Roles; bindings to the roster; no leak")
    func threeStudents() async throws {
        let roster = try ClassFixtures.roster()
        let credentials = ClassFixtures.credentials(for: roster.students.map(\.id))
        let manifests = try ClassManifests(
            image: ClassFixtures.image(), settings: settings, classSettings: ClassSettings(),
            roster: roster, credentials: credentials)
        let (directory, result) = try await writeAndValidate(manifests)
        let out = directory.appending("out")

        #expect(manifests.golden == nil)  // ephemeral VMs boot the containerDisk: no golden image
        #expect(manifests.students.map(\.networkPolicy.metadata.name) == ["debian-desktop-alice-isolation", "debian-desktop-bob-isolation", "debian-desktop-carol-isolation"])
        let files = try ClassFixtures.files(in: out)
        let policies = files.filter { $0.key.hasSuffix("networkpolicy.yaml") }
        #expect(policies.count == 3)
        #expect(policies.values.allSatisfy { $0.components(separatedBy: "kind: NetworkPolicy").count == 2 })

        for seat in manifests.students {
            let vm = seat.virtualMachine.metadata.name ?? ""
            #expect(vm == "debian-desktop-\(seat.student.id)")
            #expect(seat.namespace == "cs101")
            #expect(seat.role.rules == [
                PolicyRule(apiGroups: ["kubevirt.io"], resources: ["virtualmachines", "virtualmachineinstances"], resourceNames: [vm], verbs: ["get"]),
                PolicyRule(apiGroups: ["subresources.kubevirt.io"], resources: ["virtualmachineinstances/console", "virtualmachineinstances/vnc"], resourceNames: [vm], verbs: ["get"]),
                PolicyRule(apiGroups: ["subresources.kubevirt.io"], resources: ["virtualmachines/start", "virtualmachines/stop", "virtualmachines/restart"], resourceNames: [vm], verbs: ["update"]),
            ])
            #expect(seat.roleBinding.roleRef.name == seat.role.metadata.name)
            #expect(seat.roleBinding.subjects == [seat.student.subject.roleBindingSubject])
            // The VM attaches its own Secret as the labcreds disk; the Secret holds the three keys.
            let volumes = seat.virtualMachine.spec.template.spec.volumes
            #expect(volumes.contains { $0.secret?.secretName == seat.secret.metadata.name && $0.secret?.volumeLabel == "labcreds" })
            #expect(seat.virtualMachine.spec.template.spec.domain.devices.disks.contains { $0.serial == "labcreds" })
            #expect(seat.secret.type == "Opaque")
            #expect(Set(seat.secret.stringData.entries.keys) == ["terminal-credential", "desktop-password", "password"])
            // Protected routes: TLS for the host, auth per student, the student's own prefix.
            #expect(seat.ingresses.count == 2)
            for ingress in seat.ingresses {
                #expect(ingress.spec.tls == [Ingress.TLS(hosts: ["labs.example.org"], secretName: "labs-tls")])
                #expect(ingress.spec.rules[0].http.paths[0].path.hasPrefix("/\(seat.student.id)/"))
                let auth = ingress.metadata.annotations?["nginx.ingress.kubernetes.io/auth-url"] ?? ""
                #expect(auth.hasSuffix("allowed_emails=" + seat.student.subject.name.replacingOccurrences(of: "@", with: "%40")), "\(auth)")
                #expect(ingress.metadata.annotations?["nginx.ingress.kubernetes.io/auth-response-headers"] == "X-Auth-Request-Email")
            }
            #expect(seat.urls[.terminal] == "https://labs.example.org/\(seat.student.id)/terminal/")
        }
        #expect(manifests.students[0].ingresses[0].metadata.annotations?["nginx.ingress.kubernetes.io/auth-url"]
            == "http://oauth2-proxy.auth.svc/oauth2/auth?allowed_emails=alice%40school.example")

        // Credentials only in the Secrets and the 0600 credentials file.
        #expect(try ClassFixtures.leaks(in: out, credentials: credentials).isEmpty)
        #expect(try ClassFixtures.mode(result.credentialsPath) == 0o600)
        for path in result.paths where path.hasSuffix("secret.yaml") { #expect(try ClassFixtures.mode(path) == 0o600) }
        #expect(try ClassFixtures.mode(out) == 0o700)
        #expect(try CredentialsFile.read(result.credentialsPath) == credentials)
        let kustomization = try #require(files["kustomization.yaml"])
        #expect(kustomization.contains("- students/alice\n") && kustomization.contains("- students/carol\n"))
        #expect(!kustomization.contains("namespace:"))
    }

    @Test("persistent VMs, a namespace per student: clone of the golden DataSource, clone permission, quota; schemas accept")
    func persistentNamespacePerStudent() async throws {
        let roster = try ClassFixtures.roster()
        var persistent = settings
        persistent.variant = .persistent
        let classSettings = ClassSettings(
            namespacePerStudent: true, quota: ["requests.cpu": "2", "requests.memory": "6Gi", "count/virtualmachines.kubevirt.io": "1"])
        let manifests = try ClassManifests(
            image: ClassFixtures.image(), settings: persistent, classSettings: classSettings, roster: roster,
            credentials: ClassFixtures.credentials(for: roster.students.map(\.id)))
        _ = try await writeAndValidate(manifests)
        let golden = try #require(manifests.golden)
        #expect(golden.dataSource.metadata.namespace == "cs101")
        #expect(golden.cloneRole?.rules == [PolicyRule(apiGroups: ["cdi.kubevirt.io"], resources: ["datavolumes/source"], resourceNames: nil, verbs: ["create"])])
        #expect(golden.cloneRole?.metadata.namespace == "cs101")
        for seat in manifests.students {
            #expect(seat.namespace == "cs101-\(seat.student.id)")
            #expect(seat.namespaceObject?.metadata.name == seat.namespace)
            #expect(seat.quota?.spec.hard["requests.memory"] == "6Gi")
            let template = try #require(seat.virtualMachine.spec.dataVolumeTemplates?.first)
            #expect(template.spec.source == nil)
            #expect(template.spec.sourceRef == DataSourceReference(name: "debian-desktop", namespace: "cs101"))
            let binding = try #require(seat.cloneBinding)
            #expect(binding.metadata.namespace == "cs101")
            #expect(binding.roleRef.name == golden.cloneRole?.metadata.name)
            #expect(binding.subjects == [RoleBinding.Subject(apiGroup: nil, kind: "ServiceAccount", name: "default", namespace: seat.namespace)])
            #expect([seat.secret.metadata.namespace, seat.role.metadata.namespace, seat.networkPolicy.metadata.namespace].allSatisfy { $0 == seat.namespace })
        }
    }

    @Test("NetworkPolicy: proxy namespace to agent ports only, DNS, internet without the denied ranges; or DNS only")
    func isolation() throws {
        let roster = try Roster(students: [Student(id: "alice", subject: AccessSubject(kind: .user, name: "alice"))])
        let credentials = ClassFixtures.credentials(for: ["alice"])
        let open = try ClassManifests(
            image: ClassFixtures.image(), settings: settings, classSettings: ClassSettings(), roster: roster,
            credentials: credentials)
        let policy = open.students[0].networkPolicy.spec
        #expect(policy.podSelector.matchLabels["app.kubernetes.io/instance"] == "debian-desktop-alice")
        #expect(open.students[0].virtualMachine.spec.template.metadata.labels?["app.kubernetes.io/instance"] == "debian-desktop-alice")
        #expect(policy.policyTypes == ["Ingress", "Egress"])
        #expect(policy.ingress == [
            NetworkPolicy.IngressRule(
                from: [.namespace(["kubernetes.io/metadata.name": "ingress-nginx"])],
                ports: [NetworkPolicy.Port(protocol: "TCP", port: 7681), NetworkPolicy.Port(protocol: "TCP", port: 6080)])
        ])
        #expect(policy.egress?.count == 2)
        #expect(policy.egress?[0].ports == [NetworkPolicy.Port(protocol: "UDP", port: 53), NetworkPolicy.Port(protocol: "TCP", port: 53)])
        let block = try #require(policy.egress?[1].to.first?.ipBlock)
        #expect(block.cidr == "0.0.0.0/0")
        #expect(block.except == ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "100.64.0.0/10"])

        var noRoutes = settings
        noRoutes.host = nil
        noRoutes.routes = RouteProtection()
        let closed = try ClassManifests(
            image: ClassFixtures.image(), settings: noRoutes, classSettings: ClassSettings(isolation: NetworkIsolation(allowInternet: false)), roster: roster,
            credentials: credentials)
        #expect(closed.students[0].networkPolicy.spec.ingress == nil)  // no routes: nothing may connect
        #expect(closed.students[0].networkPolicy.spec.egress?.count == 1)  // DNS only
        #expect(closed.students[0].service == nil && closed.students[0].ingresses.isEmpty)
        #expect(closed.credentialsRecords[0].terminalURL == nil)
        #expect(throws: KubeError.self) {
            try ClassManifests(
                image: ClassFixtures.image(), settings: self.settings,
                classSettings: ClassSettings(isolation: NetworkIsolation(deniedRanges: [try IPv4Range(parsing: "10.0.0.0/8")])),
                roster: roster, credentials: credentials)
        }
    }

    @Test("routes need TLS and authentication unless public; HTTPRoute takes a proxy header, never --tls-secret")
    func routeProtection() async throws {
        let roster = try Roster(students: [Student(id: "alice", subject: AccessSubject(kind: .user, name: "alice"))])
        let credentials = ClassFixtures.credentials(for: ["alice"])
        func build(_ routes: RouteProtection, routing: RoutingKind = .ingress) throws -> ClassManifests {
            var deployment = settings
            deployment.routing = routing
            deployment.routes = routes
            deployment.gatewayName = "labs"
            return try ClassManifests(
                image: ClassFixtures.image(), settings: deployment, classSettings: ClassSettings(), roster: roster, credentials: credentials)
        }
        #expect(throws: KubeError.unprotectedRoutes(missing: [
            "without TLS (--tls-secret NAME)", "without authentication (--auth-url with {identity} and --auth-signin)",
        ])) { try build(RouteProtection()) }
        #expect(throws: KubeError.self) { try build(RouteProtection(tlsSecret: "labs-tls")) }
        let public_ = try build(RouteProtection(allowUnprotected: true))
        #expect(public_.warnings.count == 1 && public_.warnings[0].contains("without TLS"))
        #expect(public_.students[0].urls[.terminal] == "http://labs.example.org/alice/terminal/")
        // An Ingress cannot match the proxy's identity header: refused for a roster.
        #expect(throws: KubeError.self) { try build(RouteProtection(tlsSecret: "labs-tls", authentication: .proxyHeader("X-Forwarded-User"))) }
        let gateway = try build(RouteProtection(authentication: .proxyHeader("X-Forwarded-User")), routing: .httproute)
        #expect(gateway.warnings.isEmpty)
        #expect(gateway.students[0].virtualMachine.metadata.annotations?["labforge.dev/auth-header"] == "X-Forwarded-User")
        #expect(gateway.students[0].httpRoute?.spec.rules.first?.matches.first?.path.value == "/alice/terminal")
        #expect(gateway.students[0].httpRoute?.spec.rules.first?.matches.first?.headers == [HTTPRoute.HeaderMatch(exact: "X-Forwarded-User", value: "alice")])
        #expect(gateway.students[0].ingresses.isEmpty)
        #expect(throws: KubeError.self) { try build(RouteProtection(tlsSecret: "labs-tls", authentication: .proxyHeader("X")), routing: .httproute) }
        #expect(throws: KubeError.self) { try build(RouteProtection(), routing: .httproute) }
        _ = try await writeAndValidate(gateway)
    }

    @Test("pool of 3: per-VM Secrets by index, per-VM Services and routes, one policy; schemas accept; no leak")
    func pool() async throws {
        let names = ClassManifests.poolVirtualMachineNames(image: ClassFixtures.image(), size: 3)
        #expect(names == ["debian-desktop-pool-0", "debian-desktop-pool-1", "debian-desktop-pool-2"])
        let credentials = ClassFixtures.credentials(for: names)
        var persistent = settings
        persistent.variant = .persistent
        // A pool has no identities: {identity} is refused, {id} is the VM name.
        #expect(throws: KubeError.self) {
            try ClassManifests(image: ClassFixtures.image(), settings: persistent, classSettings: ClassSettings(), poolSize: 3, credentials: credentials)
        }
        let routes = RouteProtection(
            tlsSecret: "labs-tls",
            authentication: .external(
                url: "http://oauth2-proxy.auth.svc/oauth2/auth?allowed_groups=workshop&seat={id}", signin: "https://labs.example.org/oauth2/start",
                responseHeader: "X-Auth-Request-User"))
        persistent.routes = routes
        let manifests = try ClassManifests(
            image: ClassFixtures.image(), settings: persistent, classSettings: ClassSettings(), poolSize: 3, credentials: credentials)
        let (directory, _) = try await writeAndValidate(manifests)
        let pool = try #require(manifests.pool)
        #expect(pool.pool.apiVersion == "pool.kubevirt.io/v1beta1")
        #expect(pool.pool.spec.replicas == 3)
        #expect(pool.pool.spec.nameGeneration?.appendIndexToSecretRefs == true)
        #expect(pool.pool.spec.virtualMachineTemplate.spec.runStrategy == "Always")
        #expect(pool.pool.spec.virtualMachineTemplate.spec.template.spec.volumes.contains { $0.secret?.secretName == "debian-desktop-pool-credentials" })
        #expect(pool.pool.spec.virtualMachineTemplate.spec.dataVolumeTemplates?.first?.spec.sourceRef?.name == "debian-desktop")
        #expect(pool.secrets.map(\.metadata.name) == ["debian-desktop-pool-credentials-0", "debian-desktop-pool-credentials-1", "debian-desktop-pool-credentials-2"])
        #expect(pool.services.map { $0.spec.selector["vm.kubevirt.io/name"] } == names)
        #expect(pool.ingresses.count == 6)
        #expect(pool.ingresses[2].metadata.annotations?["nginx.ingress.kubernetes.io/auth-url"]
            == "http://oauth2-proxy.auth.svc/oauth2/auth?allowed_groups=workshop&seat=debian-desktop-pool-1")
        #expect(pool.networkPolicy.spec.podSelector.matchLabels["labforge.dev/pool"] == "debian-desktop-pool")
        #expect(pool.pool.spec.virtualMachineTemplate.spec.template.metadata.labels?["labforge.dev/pool"] == "debian-desktop-pool")
        #expect(manifests.credentialsRecords.map(\.seat) == names)
        #expect(manifests.credentialsRecords[1].terminalURL == "https://labs.example.org/debian-desktop-pool-1/terminal/")
        #expect(try ClassFixtures.leaks(in: directory.appending("out"), credentials: credentials).isEmpty)
        #expect(throws: KubeError.self) {
            try ClassManifests(
                image: ClassFixtures.image(), settings: self.settings, classSettings: ClassSettings(namespacePerStudent: true), poolSize: 3,
                credentials: credentials)
        }
    }
}

@Suite("Lab credentials")
struct LabCredentialsTests {
    @Test("generated from the alphabet: 16 characters, VNC exactly 8; different every time; kept unless rotated")
    func generation() throws {
        let first = LabCredentials.generate(user: "student")
        let second = LabCredentials.generate(user: "student")
        #expect(first != second)
        #expect(first.desktopPassword.count == 8)
        #expect(first.password.count == 16)
        #expect(first.terminalCredential.hasPrefix("student:") && first.terminalCredential.count == 8 + 16)
        let alphabet = Set(LabCredentials.alphabet)
        #expect(first.secretValues.allSatisfy { $0.allSatisfy(alphabet.contains) })
        #expect(!LabCredentials.alphabet.contains { "\"'`:\\ \t$&".contains($0) })
        #expect(first.problem == nil)
        // Every character of the alphabet shows up over many draws (no truncated range).
        var seen = Set<Character>()
        for _ in 0..<200 { seen.formUnion(LabCredentials.generate(user: "s").password) }
        #expect(seen == alphabet)
        let kept = LabCredentials.assign(seats: ["a", "b"], existing: ["a": first], rotate: false, user: "student")
        #expect(kept.credentials["a"] == first && kept.generated == ["b"])
        let rotated = LabCredentials.assign(seats: ["a", "b"], existing: ["a": first], rotate: true, user: "student")
        #expect(rotated.credentials["a"] != first && rotated.generated == ["a", "b"])
    }

    @Test("the credentials file reads back what it wrote and names the bad line")
    func credentialsFile() throws {
        let scratch = try TemporaryDirectory(prefix: "labforge-credentials")
        let path = scratch.appending(CredentialsFile.fileName)
        let record = CredentialsRecord(
            seat: "alice", identity: "user:alice", namespace: "cs101", virtualMachine: "vm", terminalURL: nil, desktopURL: "https://x/",
            credentials: LabCredentials.generate(user: "student"))
        try PrivateFile.write(CredentialsFile.render([record]), to: path)
        #expect(try ClassFixtures.mode(path) == 0o600)
        #expect(try CredentialsFile.read(path) == ["alice": record.credentials])
        #expect(try CredentialsFile.read(scratch.appending("none.tsv")).isEmpty)
        let broken = CredentialsFile.render([record]) + "bob\tuser:bob\tcs101\tvm\t-\t-\tnocolon\tabc\tpw\n"
        try PrivateFile.write(broken, to: path)
        #expect(throws: ClassError.credentialsFile(path: path, line: 4, reason: "seat 'bob': terminal_credential is not user:password")) {
            try CredentialsFile.read(path)
        }
    }
}
