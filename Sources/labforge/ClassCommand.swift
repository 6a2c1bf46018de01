// `labforge class`: one lab VM per student (or an anonymous pool) with credentials, access, isolation and routes.
import ArgumentParser
import Classroom
import Foundation
import Kube

struct ClassCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "class",
        abstract: "Write a whole class: per student a Secret with generated credentials, a VM, a Role, a NetworkPolicy and routes.",
        discussion: """
            Students come from --roster FILE (one 'ID IDENTITY' per line, '#' comments) or --student ID=IDENTITY; \
            IDENTITY is user:NAME (or a bare NAME), group:NAME or serviceaccount:NAMESPACE:NAME. Writes \
            OUTPUT/students/<id>/ (OUTPUT/pool/ with --pool), OUTPUT/golden/ for persistent VMs, a top-level \
            kustomization.yaml for `kubectl apply -k OUTPUT`, and OUTPUT/credentials.tsv (mode 0600), the only file \
            besides the Secrets that holds credentials. A re-run keeps every student's credentials unless --rotate.

            Routes are written only with --host, and only with TLS and authentication (or --public-routes, which \
            warns). The default is Gateway API (--routing httproute, needs --gateway NAMESPACE/NAME): an \
            authenticating proxy in front of the Gateway sets --auth-header NAME to the user name and strips any \
            copy a client sends; each student's HTTPRoute matches /<id>/… AND NAME exactly equal to that student's \
            user name, so alice's requests find no route to /bob/… (404). With --routing ingress (ingress-nginx, \
            retired in March 2026) --auth-url must hold {identity}: the auth service admits only that user. Roster \
            identities starting with system: are refused unless --allow-system-identities.

            --variant persistent-home keeps each student's /home on a blank DataVolume of their own \
            (students/<id>/home.yaml, attached with serial lab-home; the image needs the PersistentHome component) \
            while the system disk is the containerDisk, reset by every restart. With persistent and persistent-home \
            each student folder also gets examples/snapshot.yaml and examples/restore.yaml (not applied); with \
            --namespace-per-student the student's Role allows creating them. --stop-on-poweroff keeps a VM that \
            powered itself off stopped (Manual instead of Halted, RerunOnFailure instead of Always).
            """
    )

    @OptionGroup var image: ImageOptions
    @OptionGroup var deployment: DeploymentOptions

    @Option(name: .customLong("roster"), help: "A roster file: one 'ID IDENTITY' per line; repeatable.")
    var rosterFiles: [String] = []

    @Option(name: .customLong("student"), help: "A student as ID=IDENTITY, e.g. alice=alice@school.example or bob=group:cs101; repeatable.")
    var students: [String] = []

    @Option(help: "An anonymous workshop: one VirtualMachinePool of N VMs, each with its own credentials, instead of a roster.")
    var pool: Int?

    @Option(
        name: .customLong("deny-cidr"),
        help: "An IPv4 range VMs may not reach; repeat to list every one (replaces the default \(IPv4Range.defaultDenied.map(\.description).joined(separator: ", "))); must cover 169.254.169.254 and the cluster's pod, service and node ranges."
    )
    var denyCIDRs: [String] = []

    @Option(help: "Whether VMs may reach the internet outside the denied ranges (true or false); DNS works either way.")
    var allowInternet: Bool = true

    @Flag(help: "Give each student a namespace <namespace>-<id> (the golden image stays in --namespace).")
    var namespacePerStudent = false

    @Option(help: "ResourceQuota of each student namespace, e.g. requests.cpu=2,requests.memory=6Gi,count/virtualmachines.kubevirt.io=1.")
    var quota: String?

    @Flag(help: "Generate new credentials for every student instead of keeping those in OUTPUT/credentials.tsv.")
    var rotate = false

    @Option(help: "Output directory, created with mode 0700 when missing.")
    var output: String

    @Flag(help: "Print one JSON document with the students, their URLs and the files written (never a credential).")
    var json = false

    func validate() throws {
        if pool != nil, !(rosterFiles.isEmpty && students.isEmpty) {
            throw ValidationError("--pool makes an anonymous workshop; drop --roster and --student, or drop --pool")
        }
    }

    func run() async throws {
        do {
            let (description, _) = try ImageDescription.resolve(try ImageSource(parsing: image.source), inputs: try image.inputs())
            let settings = try deployment.settings()
            let classSettings = try self.classSettings()
            let existing = rotate ? [:] : try ClassWriter.existingCredentials(in: output)
            let roster =
                pool == nil
                ? try Roster(files: rosterFiles, arguments: students, allowSystemIdentities: deployment.allowSystemIdentities) : nil
            let seats = roster?.students.map(\.id) ?? ClassManifests.poolVirtualMachineNames(image: description, size: pool ?? 0)
            let (credentials, generated) = LabCredentials.assign(seats: seats, existing: existing, rotate: rotate, user: description.labUser)
            let manifests =
                if let roster {
                    try ClassManifests(image: description, settings: settings, classSettings: classSettings, roster: roster, credentials: credentials)
                } else {
                    try ClassManifests(
                        image: description, settings: settings, classSettings: classSettings, poolSize: pool ?? 0, credentials: credentials)
                }
            for warning in manifests.warnings { ManifestsCommand.printError("labforge class: warning: \(warning)") }
            for note in manifests.notes { ManifestsCommand.printError("labforge class: note: \(note)") }
            let result = try ClassWriter.write(manifests, to: output)
            for id in result.staleStudents {
                ManifestsCommand.printError(
                    "labforge class: note: \(output)/\(ClassManifests.studentsDirectory)/\(id) is not in the roster any more and is not listed in kustomization.yaml; delete its objects from the cluster and the folder")
            }
            try report(manifests, result: result, generated: generated)
        } catch let error as ValidationError {
            throw error
        } catch {
            ManifestsCommand.printError("labforge class: \(error)")
            throw ExitCode.failure
        }
    }

    func classSettings() throws -> ClassSettings {
        var quotaMap = StringMap()
        for entry in (quota ?? "").split(separator: ",") {
            let parts = entry.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2 else {
                throw KubeError.invalidSetting(name: "--quota", value: String(entry), reason: "expected RESOURCE=QUANTITY, e.g. requests.memory=4Gi")
            }
            quotaMap[parts[0]] = parts[1]
        }
        return ClassSettings(
            isolation: NetworkIsolation(
                deniedRanges: denyCIDRs.isEmpty ? IPv4Range.defaultDenied : try denyCIDRs.map { try IPv4Range(parsing: $0) },
                allowInternet: allowInternet),
            namespacePerStudent: namespacePerStudent, quota: quotaMap
        )
    }

    /// Prints what was written; credentials only ever go to the credentials file.
    func report(_ manifests: ClassManifests, result: ClassWriter.Result, generated: [String]) throws {
        let records = manifests.credentialsRecords
        if json {
            struct Seat: Encodable {
                var id: String
                var identity: String
                var namespace: String
                var vm: String
                var urls: [String: String]
            }
            struct Output: Encodable {
                var image: String
                var directory: String
                var credentialsFile: String
                var seats: [Seat]
                var newCredentials: [String]
                var staleStudents: [String]
                var files: [String]
            }
            let seats = records.map { record in
                var urls: [String: String] = [:]
                if let terminal = record.terminalURL { urls[AgentKind.terminal.rawValue] = terminal }
                if let desktop = record.desktopURL { urls[AgentKind.desktop.rawValue] = desktop }
                return Seat(id: record.seat, identity: record.identity, namespace: record.namespace, vm: record.virtualMachine, urls: urls)
            }
            try printJSON(
                Output(
                    image: manifests.image.pinnedReference, directory: output, credentialsFile: result.credentialsPath, seats: seats,
                    newCredentials: generated, staleStudents: result.staleStudents, files: result.paths))
        } else {
            let what = manifests.pool == nil ? "\(records.count) students" : "a pool of \(records.count) VMs"
            print("wrote \(what) for \(manifests.image.pinnedReference) to \(output) (\(result.paths.count) files); apply with: kubectl apply -k \(output)")
            print("credentials: \(result.credentialsPath) (mode 0600; new for \(generated.count), kept for \(records.count - generated.count))")
        }
    }
}
