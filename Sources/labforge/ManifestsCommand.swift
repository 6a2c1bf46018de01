// `labforge manifests`: DataVolume, VirtualMachines, Service, routes, access and kustomization for one image.
import ArgumentParser
import Foundation
import Kube
import LabforgeRecipe
import Pipeline

/// Image facts given on the command line (shared by `manifests` and `catalog add`).
struct ImageOptions: ParsableArguments {
    @Argument(help: "An OCI image layout written by `labforge package` (DIR or DIR:TAG), or a pinned reference registry/repository[:tag]@sha256:….")
    var source: String

    @Option(help: "Where the layout is pushed: registry/repository[:tag] (required with a layout).")
    var reference: String?

    @Option(help: "Image name, a DNS-1123 label (default: the repository's last component).")
    var name: String?

    @Option(name: .customLong("image-version"), help: "Image version (default: the layout's version annotation, else the tag).")
    var imageVersion: String?

    @Option(help: "Name shown in the portal.")
    var displayName: String?

    @Option(name: .customLong("description"), help: "One paragraph shown in the portal.")
    var summary: String?

    @Option(help: "Guest OS, e.g. debian-13.")
    var os: String?

    @Option(help: "Architecture the VMs run as, and the platform read from a multi-architecture layout (default: the layout's config, amd64 of an index holding it, else amd64).")
    var arch: String?

    @Option(help: "The architectures of a multi-architecture image index, e.g. amd64,arm64 (default: the layout's index, else --arch); CDI then imports --arch's platform.")
    var architectures: String?

    @Option(help: "Virtual size of the disk in bytes (default: the layout's dev.labforge.disk.virtual-size annotation).")
    var virtualSize: Int64?

    @Option(help: "Bytes in the registry (default: manifest + config + layers of the layout).")
    var compressedSize: Int64?

    @Option(help: "Default cluster instancetype, e.g. u1.medium (default: the image's INSTANCETYPE_KUBEVIRT_IO_DEFAULT_INSTANCETYPE).")
    var instancetype: String?

    @Option(help: "Default cluster preference, e.g. debian (default: the image's INSTANCETYPE_KUBEVIRT_IO_DEFAULT_PREFERENCE).")
    var preference: String?

    @Option(help: "Firmwares the image claims to boot under, e.g. uefi-secure-boot,bios (default: the layout's dev.labforge.firmware label).")
    var firmware: String?

    @Option(help: "A verification report (labforge verify --report, or the build's verification.json): only the firmwares it booted the image under count; without one every claimed firmware counts, not verified.")
    var verificationReport: String?

    @Option(name: .customLong("agent"), help: "A browser agent: terminal[:PORT[:BASEPATH]] or desktop[:PORT[:BASEPATH]]; repeat for both (default: terminal:7681:/).")
    var agents: [String] = []

    @Flag(help: "The image serves no browser agent.")
    var noAgents = false

    @Flag(help: "The image runs the QEMU guest agent: with no browser agent the VMs' readiness probe pings it (guestAgentPing).")
    var guestAgent = false

    @Option(help: "The lab user cloud-init creates.")
    var labUser: String = "student"

    @Option(help: "Secret with the lab user's `password` and the agents' `terminal-credential` / `desktop-password`, attached as a disk (never inlined).")
    var credentialsSecret: String?

    /// The inputs for the library.
    func inputs() throws -> ImageInputs {
        var inputs = ImageInputs()
        inputs.name = name
        inputs.version = imageVersion
        inputs.displayName = displayName
        inputs.summary = summary
        inputs.operatingSystem = os
        inputs.architecture = arch
        inputs.architectures = try architectures.map { text in
            let list = text.split(separator: ",").map { String($0.filter { $0 != " " }) }
            guard !list.isEmpty, !list.contains(where: \.isEmpty) else {
                throw ValidationError("--architectures \(text): expected a comma-separated list such as amd64,arm64")
            }
            return list
        }
        inputs.reference = reference
        inputs.diskVirtualSize = virtualSize
        inputs.compressedSize = compressedSize
        inputs.instancetype = instancetype
        inputs.preference = preference
        if noAgents {
            inputs.agents = []
        } else if !agents.isEmpty {
            inputs.agents = try agents.map { try ExposedAgent(parsing: $0) }
        }
        inputs.labUser = labUser
        inputs.credentialsSecret = credentialsSecret
        inputs.guestAgent = guestAgent
        inputs.firmware = try firmwareBasis()
        return inputs
    }

    /// The firmware basis `--firmware` and `--verification-report` give; nil leaves it to the layout's label.
    func firmwareBasis() throws -> FirmwareBasis? {
        let claimed = try firmware.map { text in
            guard let list = Firmware.list(text) else {
                throw ValidationError("--firmware \(text): expected a comma-separated list of \(Firmware.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return list
        }
        if let verificationReport { return try FirmwareBasis(claimed: claimed, reportAt: verificationReport) }
        return claimed.map { FirmwareBasis(claimed: $0) }
    }
}

/// Deployment settings given on the command line.
struct DeploymentOptions: ParsableArguments {
    @Option(help: "Namespace written on every object and in kustomization.yaml.")
    var namespace: String?

    @Option(help: "A lab session name (e.g. a user): per-session objects become <name>-<instance> (`class` uses roster ids).")
    var instance: String?

    @Option(help: "VM run strategy: \(RunStrategy.allCases.map(\.rawValue).joined(separator: ", ")).")
    var runStrategy: String = RunStrategy.halted.rawValue

    @Option(help: "CPU cores when the image has no instancetype.")
    var cores: Int = 2

    @Option(help: "Guest memory when the image has no instancetype.")
    var memory: String = "2Gi"

    @Option(help: "Filesystem overhead fraction added to the disk's virtual size for PVCs.")
    var filesystemOverhead: Double = 0.055

    @Option(help: "StorageClass of the PVCs (default: the cluster's).")
    var storageClass: String?

    @Option(help: "Public path prefix of the routes (default: the session name; `class` adds /<id>): /<prefix>/terminal/, /<prefix>/desktop/.")
    var pathPrefix: String?

    @Option(help: "Host name of the routes. Routes (a Service and an HTTPRoute or Ingresses) are written only with --host (or --public-routes); without, nothing may connect to the agents.")
    var host: String?

    @Option(help: "Route kind: httproute (Gateway API, the default) or ingress (ingress-nginx annotations; Ingress NGINX was retired in March 2026: no fixes, no security patches).")
    var routing: String = RoutingKind.httproute.rawValue

    @Option(help: "Gateway of the HTTPRoutes: NAMESPACE/NAME or NAME (required when HTTPRoutes are written; its HTTPS listener serves --host).")
    var gateway: String?

    @Option(help: "IngressClass with --routing ingress (default: the cluster's).")
    var ingressClass: String?

    @Option(help: "TLS Secret (kubernetes.io/tls) for --host, in every namespace holding routes (--routing ingress; a Gateway's listener holds its own).")
    var tlsSecret: String?

    @Option(help: "With --routing ingress: ingress-nginx external auth URL holding {identity}, e.g. http://oauth2-proxy.auth.svc/oauth2/auth?allowed_emails={identity}; the auth service must answer 2xx only for that user ({id} is the seat id).")
    var authUrl: String?

    @Option(help: "With --auth-url: where ingress-nginx sends users who are not logged in, e.g. https://$host/oauth2/start?rd=$escaped_request_uri.")
    var authSignin: String?

    @Option(help: "With --auth-url: the auth answer's header passed to the VM (default X-Auth-Request-User). Alone: the header an authenticating proxy in front of the Gateway sets to the user name (and strips from clients); each seat's HTTPRoute admits only its identity in it.")
    var authHeader: String?

    @Option(help: "With --routing httproute: the auth Service (NAMESPACE/NAME:PORT) the Gateway API's ExternalAuth filter asks before each request, for /allowed/<identity>/<path>; it must answer 2xx only for that user. Experimental-channel Gateway API CRDs only (a ReferenceGrant in its namespace must admit the routes); --auth-header names its answer's header passed to the VM.")
    var authService: String?

    @Flag(help: "Write routes even without TLS or authentication (a warning says what is missing).")
    var publicRoutes = false

    @Option(
        name: [.customLong("proxy-namespace"), .customLong("ingress-namespace")],
        help: "Namespace of the Gateway's or ingress controller's proxy pods, the only pods allowed to reach the agents (default: the Gateway's namespace; ingress-nginx with --routing ingress).")
    var proxyNamespace: String?

    @Option(help: "Cron schedule of the DataImportCron.")
    var importSchedule: String = "0 3 * * *"

    @Option(help: "The identity given console/VNC/start/stop and admitted by the routes: user:NAME (or NAME), group:NAME or serviceaccount:NAMESPACE:NAME. Without it no RoleBinding is written (`class` uses roster identities).")
    var accessUser: String?

    @Flag(help: "Accept identities Kubernetes reserves (system:anonymous, group:system:authenticated, system:serviceaccount:…) in --access-user and rosters.")
    var allowSystemIdentities = false

    @Option(help: "VM variant: ephemeral, persistent or persistent-home (a containerDisk system, reset by every restart, and a blank PVC on /home; the image needs the PersistentHome component). `manifests` writes ephemeral and persistent always, persistent-home when chosen, and lists the chosen one in kustomization.yaml.")
    var variant: String = VirtualMachineVariant.ephemeral.rawValue

    @Option(help: "Size of each persistent-home PVC (--variant persistent-home).")
    var homeSize: String = "5Gi"

    @Flag(help: "A guest's own power-off (idle stop, time limit, poweroff) leaves the VM stopped: run strategy Always becomes RerunOnFailure, Halted becomes Manual.")
    var stopOnPoweroff = false

    /// The settings for the library.
    func settings() throws -> ManifestSettings {
        guard let strategy = RunStrategy(rawValue: runStrategy) else {
            throw ValidationError("--run-strategy \(runStrategy): expected one of \(RunStrategy.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let variantValue = VirtualMachineVariant(rawValue: variant) else {
            throw ValidationError("--variant \(variant): expected \(VirtualMachineVariant.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let routingValue = RoutingKind(rawValue: routing) else {
            throw ValidationError("--routing \(routing): expected ingress or httproute")
        }
        if (authUrl == nil) != (authSignin == nil) {
            throw ValidationError("--auth-url and --auth-signin go together (ingress-nginx needs both)")
        }
        if authService != nil, authUrl != nil {
            throw ValidationError("--auth-service (the Gateway API's ExternalAuth filter) and --auth-url (ingress-nginx) exclude each other")
        }
        var authentication: RouteAuthentication?
        if let authService {
            authentication = .gatewayExternalAuth(service: try AuthService(parsing: authService), responseHeader: authHeader)
        } else if let authUrl, let authSignin {
            authentication = .external(url: authUrl, signin: authSignin, responseHeader: authHeader ?? "X-Auth-Request-User")
        } else if let authHeader {
            authentication = .proxyHeader(authHeader)
        }
        let gatewayParts = gateway.map { $0.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).map(String.init) }
        var settings = ManifestSettings(
            namespace: namespace, instance: instance, runStrategy: strategy, cores: cores, memory: memory,
            filesystemOverhead: filesystemOverhead, storageClassName: storageClass, pathPrefix: pathPrefix, host: host,
            ingressClassName: ingressClass, gatewayName: gatewayParts?.last,
            gatewayNamespace: gatewayParts.flatMap { $0.count == 2 ? $0[0] : nil }, importSchedule: importSchedule,
            accessSubject: try accessUser.map { try AccessSubject(parsing: $0) }, routing: routingValue, variant: variantValue,
            routes: RouteProtection(tlsSecret: tlsSecret, authentication: authentication, allowUnprotected: publicRoutes),
            proxyNamespace: proxyNamespace
        )
        settings.allowSystemIdentities = allowSystemIdentities
        settings.stopOnPowerOff = stopOnPoweroff
        settings.homeSize = homeSize
        return settings
    }
}

struct ManifestsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "manifests",
        abstract: "Write the Kubernetes manifests of one image: DataVolume, VirtualMachines, Service, routes, access, kustomization.",
        discussion: """
            Reads the digest, the disk's virtual size and the instancetype variables from an OCI layout (or takes a \
            pinned reference and options; no network is used), checks every object name (DNS-1123, at most 63 \
            characters) and writes one YAML file per kind into --output, each file renamed into place when complete.

            Safe by default: a NetworkPolicy always (only the proxy namespace may reach the agents, and only when \
            routes are written); routes only with --host and TLS plus authentication (or --public-routes, which warns); \
            HTTPRoutes (the default, Gateway API) need --gateway; a RoleBinding only to --access-user. Behind an \
            authenticating proxy (--auth-header NAME) the HTTPRoute admits only requests whose NAME header equals the \
            --access-user name: the proxy must set that header and strip any copy a client sends. --routing ingress \
            writes ingress-nginx annotations; Ingress NGINX was retired in March 2026.
            """
    )

    @OptionGroup var image: ImageOptions
    @OptionGroup var deployment: DeploymentOptions

    @Option(help: "Output directory, created when missing (default: images/<name>/<version>/manifests).")
    var output: String?

    @Flag(help: "Print one JSON document with the files written.")
    var json = false

    func run() async throws {
        do {
            let (description, _) = try ImageDescription.resolve(try ImageSource(parsing: image.source), inputs: try image.inputs())
            let settings = try deployment.settings()
            try description.checkSupports(settings.variant)
            let set = try ManifestSet(image: description, settings: settings)
            for warning in set.rule.warnings { ManifestsCommand.printError("labforge manifests: warning: \(warning)") }
            for note in set.rule.notes { ManifestsCommand.printError("labforge manifests: note: \(note)") }
            let output = self.output ?? ManifestWriter.defaultDirectory(for: description)
            let paths = try ManifestWriter.write(try set.files(), to: output)
            if json {
                struct Result: Encodable {
                    var image: String
                    var name: String
                    var version: String
                    var directory: String
                    var files: [String]
                    var paths: [String: String]
                }
                let result = Result(
                    image: description.pinnedReference, name: description.name, version: description.version, directory: output,
                    files: paths, paths: Dictionary(uniqueKeysWithValues: description.agents.map { ($0.kind.rawValue, set.publicPath(of: $0)) })
                )
                try printJSON(result)
            } else {
                print("wrote \(paths.count) files for \(description.pinnedReference) to \(output)")
                for path in paths { print("  \(path)") }
            }
        } catch let error as ValidationError {
            throw error
        } catch {
            ManifestsCommand.printError("labforge manifests: \(error)")
            throw ExitCode.failure
        }
    }
}

extension ManifestsCommand {
    /// Writes a line to standard error.
    static func printError(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
